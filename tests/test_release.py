"""Release: student versions carry no solution, hidden test or grader code."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from dlgrade.courses import course_names
from dlgrade.release import verify_release
from tests.conftest import REPO, Course, repo_paths


def test_release_of_fixture_is_clean(course):
    """Does the fixture course's release pass the leak check?"""
    assert verify_release(course.paths, "hello") == []
    text = (course.paths.release("hello") / "hello.ipynb").read_text()
    assert "x.max(dim=dim" not in text and "raise NotImplementedError" in text


@pytest.mark.parametrize("leak", ["solution", "marker", "grader", "grader_file"])
def test_leaks_are_detected(course, leak):
    """Does the check catch each kind of leak an instructor could make?"""
    path = course.paths.release("hello") / "hello.ipynb"
    nb = nbformat.read(path, as_version=4)
    if leak == "solution":
        nb.cells[2].source += "\n    z = x - x.max(dim=dim, keepdim=True).values"
    elif leak == "marker":
        nb.cells[2].source += "\n### BEGIN HIDDEN TESTS"
    elif leak == "grader":
        nb.cells.append(
            nbformat.v4.new_code_cell(
                "x = torch.tensor([[1000.0, 1001.0, 999.0]], dtype=torch.float64)"
            )
        )
    else:
        shutil.copy(course.paths.graders("hello") / "test_hello.py", path.parent)
    nbformat.write(nb, path)
    assert verify_release(course.paths, "hello"), leak


def test_a_solution_region_in_a_class_body_is_refused(course):
    """Is a source whose solution region sits directly in a class body refused at release
    (the student version's class would raise when defined)?"""
    from nbgrader.apps import NbGraderAPI

    from dlgrade.release import release_assignment

    src = course.paths.source("hello") / "hello.ipynb"
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell(
            "class Scaler:\n    def __init__(self, f):\n        self.f = f\n\n"
            "    ### BEGIN SOLUTION\n    def __call__(self, x):\n        return self.f * x\n"
            "    ### END SOLUTION",
            metadata={
                "nbgrader": {
                    "grade": False,
                    "grade_id": "scaler",
                    "locked": False,
                    "schema_version": 3,
                    "solution": True,
                    "task": False,
                }
            },
        )  # fmt: skip
    )
    nbformat.write(nb, src)
    api = NbGraderAPI(coursedir=course.paths.coursedir, config=course.config)
    with pytest.raises(RuntimeError, match="hello.ipynb, cell .*: class Scaler"):
        release_assignment(api, course.paths, "hello")


def _real_assignments() -> list[tuple[str, str]]:
    return [(c, a) for c in course_names(REPO) for a in repo_paths(c).assignments()]


@pytest.mark.slow
@pytest.mark.parametrize(("course_name", "assignment"), _real_assignments(), ids=lambda v: str(v))
def test_committed_release_is_in_sync_with_source(tmp_path, course_name, assignment):
    """Does releasing again reproduce the committed release/ exactly (and cleanly)?"""
    from nbgrader.apps import NbGraderAPI

    from dlgrade.release import release_assignment

    root = tmp_path / "course"
    repo = repo_paths(course_name)
    for folder in (repo.source(assignment), repo.graders(assignment)):
        shutil.copytree(folder, root / folder.relative_to(REPO))
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "courses", root / "courses")
    c = Course(root, assignment, course_name)  # the copied config roots the course in tmp_path
    release_assignment(
        NbGraderAPI(coursedir=c.paths.coursedir, config=c.config), c.paths, assignment
    )
    fresh_base, committed_base = c.paths.release(assignment), repo.release(assignment)
    fresh = sorted(p.relative_to(fresh_base) for p in fresh_base.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(committed_base) for p in committed_base.rglob("*") if p.is_file()
    )
    assert fresh == committed
    for rel in fresh:
        assert (fresh_base / rel).read_bytes() == (committed_base / rel).read_bytes(), rel
