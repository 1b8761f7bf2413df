"""The grading process's warm-up (`runner.warm_up`)."""

from __future__ import annotations

import sys
from pathlib import Path

from dlgrade.grading import runner


def _graders(tmp_path: Path) -> Path:
    graders = tmp_path / "graders"
    (graders / "variants").mkdir(parents=True)
    (graders / "helpers.py").write_text("import json\n")
    (graders / "test_a.py").write_text(
        "import math, torch.nn.functional as F\n"
        "from helpers import thing\n"
        "from . import sibling\n"
        "from email.mime import text\n"
        "def f():\n    import helpers.sub\n    import colorsys\n"
    )
    (graders / "broken.py").write_text("def (:\n")
    (graders / "variants" / "test_v.py").write_text("import wave\n")
    return graders


def test_imported_by_lists_absolute_imports_of_the_graders_only(tmp_path):
    names = runner._imported_by([_graders(tmp_path)])
    assert names == {"json", "math", "torch.nn.functional", "email.mime", "colorsys"}


def test_warm_up_imports_what_the_graders_import_and_survives_missing_ones(tmp_path):
    graders = _graders(tmp_path)
    (graders / "test_b.py").write_text("import colorsys\nimport no_such_package_dlgrade\n")
    sys.modules.pop("colorsys", None)
    runner.warm_up([graders])
    assert "colorsys" in sys.modules
    assert "no_such_package_dlgrade" not in sys.modules
