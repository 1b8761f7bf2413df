"""`dlgrade variant`: write the reference, blank or a variant submission of an assignment."""

from __future__ import annotations

import nbformat
from traitlets import Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.variants import build_for


class VariantApp(DlGradeApp):
    """Build a submission notebook from the reference solution (for graders and demos)."""

    name = "dlgrade-variant"
    variant = Unicode(
        "reference", help="'reference', 'blank' or a file name in graders/<a>/variants/."
    ).tag(config=True)
    out = Unicode("", help="Where to write the notebook.").tag(config=True)
    aliases = {**base_aliases, "variant": "VariantApp.variant", "out": "VariantApp.out"}
    flags = base_flags

    def start(self) -> None:
        assignment = self.require_assignment()
        if not self.out:
            self.fail("Say where to write it: --out=PATH.ipynb")
        nbformat.write(build_for(self.paths, assignment, self.variant), self.out)


def main() -> None:
    VariantApp.launch_instance()
