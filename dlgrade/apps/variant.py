"""`dlgrade variant`: write the reference, blank or a variant submission of an assignment."""

from __future__ import annotations

from pathlib import Path

import nbformat
from traitlets import Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.variants import build_for, submission_files, write_files


class VariantApp(DlGradeApp):
    """Build a submission notebook from the reference solution (for graders and demos)."""

    name = "dlgrade-variant"
    variant = Unicode(
        "reference", help="'reference', 'blank' or a file name in graders/<a>/variants/."
    ).tag(config=True)
    out = Unicode("", help="Where to write the notebook.").tag(config=True)
    files_dir = Unicode(
        "",
        help="Where to write the submission's other files (graders/<a>/reference_files/ "
        "with the variant's FILES applied), for `grade-one --files`.",
    ).tag(config=True)
    aliases = {
        **base_aliases,
        "variant": "VariantApp.variant",
        "out": "VariantApp.out",
        "files": "VariantApp.files_dir",
    }
    flags = base_flags

    def start(self) -> None:
        assignment = self.require_assignment()
        if not self.out:
            self.fail("Say where to write it: --out=PATH.ipynb")
        nbformat.write(build_for(self.paths, assignment, self.variant), self.out)
        if self.files_dir:
            files = submission_files(self.paths.graders(assignment), self.variant)
            write_files(Path(self.files_dir), files)


def main() -> None:
    VariantApp.launch_instance()
