"""Shared fixtures: a throwaway course built from tests/fixtures/course, and helpers to
submit notebooks and grade them with the real CLI code paths."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import jsonschema
import nbformat
import pytest
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from dlgrade.authoring.variants import reference_submission, write_files
from dlgrade.courses import COURSES_FOLDER, course_names, load_config
from dlgrade.grading import batch
from dlgrade.grading.results import SCHEMA_FILE
from dlgrade.paths import CoursePaths, use_this_environment
from dlgrade.release import release_assignment

use_this_environment()
REPO = Path(__file__).resolve().parent.parent
FIXTURE_COURSE = REPO / "tests" / "fixtures" / "course"
WORK = REPO / "build" / "test-courses"
RESULTS_SCHEMA = json.loads(SCHEMA_FILE.read_text())


class Course:
    """A course root on disk with helpers to submit and grade."""

    def __init__(self, root: Path, assignment: str = "hello", course: str | None = None):
        self.root = root
        self.assignment = assignment
        self.config = load_config(root, course)
        self.paths = CoursePaths(CourseDirectory(config=self.config), config=self.config)

    def notebook(self, name: str) -> nbformat.NotebookNode:
        a = self.assignment
        if name == "blank":
            return nbformat.read(self.paths.release(a) / f"{a}.ipynb", as_version=4)
        return reference_submission(
            nbformat.read(self.paths.source(a) / f"{a}.ipynb", as_version=4)
        )

    def submit(
        self,
        student: str,
        nb: nbformat.NotebookNode | bytes | str | None,
        files: dict[str, bytes] | None = None,
    ) -> Path:
        """Write `nb` (and `files`, relative path -> bytes) as `student`'s submission."""
        folder = self.paths.submitted(student, self.assignment)
        folder.mkdir(parents=True, exist_ok=True)
        write_files(folder, files or {})
        path = folder / f"{self.assignment}.ipynb"
        if isinstance(nb, nbformat.NotebookNode):
            nbformat.write(nb, path)
        elif isinstance(nb, bytes):
            path.write_bytes(nb)
        elif isinstance(nb, str):
            path.write_text(nb)
        (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
        return path

    def grade(self, workers: int = 2, force: bool = False, **traits) -> dict[str, dict]:
        cfg = Config(self.config)
        for key, value in traits.items():
            cls, trait = key.split("__")
            cfg[cls][trait] = value
        todo, _ = batch.pending_jobs(self.paths, self.assignment, force)
        batch.run_batch(cfg, self.paths, todo, workers)
        results = batch.load_results(self.paths, self.assignment)
        for student in self.paths.students(self.assignment):
            path = self.paths.results(student, self.assignment)
            if path.is_file():
                jsonschema.validate(json.loads(path.read_text()), RESULTS_SCHEMA)
        return {r.student: r.to_json() for r in results}

    def results(self, student: str) -> dict:
        return json.loads(self.paths.results(student, self.assignment).read_text())


def score_summary(result: dict) -> dict:
    """What two gradings of one submission must agree on (status, scores, verdicts)."""
    return {
        "status": result["status"],
        "score": result["score"],
        "max_score": result["max_score"],
        "extra_credit_score": result["extra_credit_score"],
        "tests": sorted((t["id"], t["status"], t["score"]) for t in result["tests"]),
    }


def repo_paths(course: str | None = None) -> CoursePaths:
    """This repository's paths for `course` (None: the default course)."""
    config = load_config(REPO, course)
    return CoursePaths(CourseDirectory(config=config), config=config)


def real_assignments() -> list[tuple[str, str]]:
    """(course, assignment) of every assignment of this repository that has graders."""
    found = []
    for course in course_names(REPO):
        paths = repo_paths(course)
        found += [(course, a) for a in paths.assignments() if paths.graders(a).is_dir()]
    return found


def copy_of_assignment(name: str, assignment: str, course: str | None = None) -> Course:
    """A scratch course under build/ holding one real assignment of this repository
    (its source, release and graders at the same places below the root)."""
    root = WORK / name
    shutil.rmtree(root, ignore_errors=True)
    repo = repo_paths(course)
    for folder in (repo.source(assignment), repo.release(assignment), repo.graders(assignment)):
        shutil.copytree(folder, root / folder.relative_to(REPO))
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / COURSES_FOLDER, root / COURSES_FOLDER)
    return Course(root, assignment, course)


def make_course(template: Path = FIXTURE_COURSE) -> Course:
    root = WORK / uuid.uuid4().hex[:10]
    shutil.copytree(
        template,
        root,
        ignore=shutil.ignore_patterns(
            "release", "submitted", "autograded", "feedback", "gradebook.db", "exchange"
        ),
    )
    course = Course(root)
    api = NbGraderAPI(coursedir=course.paths.coursedir, config=course.config)
    release_assignment(api, course.paths, course.assignment)
    return course


@pytest.fixture
def course() -> Course:
    """A fresh copy of the fixture course, released, with nothing submitted."""
    c = make_course()
    yield c
    shutil.rmtree(c.root, ignore_errors=True)


@pytest.fixture(scope="module")
def module_course() -> Course:
    c = make_course()
    yield c
    shutil.rmtree(c.root, ignore_errors=True)
