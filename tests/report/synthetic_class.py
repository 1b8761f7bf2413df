"""A small synthetic class (the report tests' fixture data): results.json files in the documented shape, written the way the
autograder writes them, plus (optionally) an nbgrader gradebook with roster and due dates."""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory

from dlgrade.paths import CoursePaths

COURSE_ID = "dl-test"
SECRET = "HIDDEN-EXPECTED-VALUE-7f3a"
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'

# (id, task, points, visibility, difficulty, failure message template)
TESTS = {
    "mlp": [
        (
            "test_mlp.py::test_forward_shape",
            "forward",
            1,
            "visible",
            0.1,
            "output has shape ({n}, 3), expected (8, 3)",
        ),
        (
            "test_mlp.py::test_forward_values",
            "forward",
            2,
            "hidden",
            0.3,
            "the output is wrong: max abs diff {x}",
        ),
        (
            "test_mlp.py::test_backward",
            "backward",
            3,
            "hidden",
            0.55,
            "gradient of W1 is wrong: max abs diff {x}",
        ),
        (
            "test_mlp.py::test_training_loss",
            "train",
            2,
            "hidden",
            0.4,
            "loss after 50 steps is {x}, expected below 0.1",
        ),
    ],
    "attention": [
        (
            "test_sdpa.py::test_shape",
            "sdpa",
            1,
            "visible",
            0.05,
            "attention weights have shape (2, {n}, 5)",
        ),
        (
            "test_sdpa.py::test_matches_reference",
            "sdpa",
            2,
            "hidden",
            0.35,
            "the attention output is wrong: max abs diff {x}",
        ),
        (
            "test_sdpa.py::test_mask",
            "sdpa",
            2,
            "hidden",
            0.7,
            "masked positions get weight {x}, expected 0",
        ),
        (
            "test_mha.py::test_heads",
            "mha",
            3,
            "hidden",
            0.5,
            "heads are mixed: scores are not scaled by 1/sqrt(d_k)",
        ),
        (
            "test_mha.py::test_gradients",
            "mha",
            2,
            "hidden",
            0.6,
            "gradient w.r.t. q_proj differs by {x}",
        ),
    ],
    "diffusion": [
        ("test_ddpm.py::test_schedule", "schedule", 2, "hidden", 0.2, "alpha_bar[{n}] is wrong"),
        ("test_ddpm.py::test_q_sample", "sample", 3, "hidden", 0.5, "q_sample mean off by {x}"),
    ],
}
DUEDATES = {"mlp": datetime(2026, 10, 1, 23, 59), "attention": datetime(2026, 11, 5, 23, 59)}
STUDENTS = [
    "ada", "ben", "cleo", "dmitri", "emma", "farid", "gus", "hana", "ivan", "jules", "kim",
    "lea", "mo", "nina",
]  # fmt: skip


@dataclass
class SyntheticCourse:
    root: Path
    paths: CoursePaths
    results: dict[str, dict[str, dict]] = field(
        default_factory=dict
    )  # assignment -> student -> json
    submitted_only: dict[str, list[str]] = field(default_factory=dict)

    def graded(self, assignment: str) -> dict[str, dict]:
        return {s: r for s, r in self.results[assignment].items() if r["status"] == "graded"}


def make_paths(root: Path) -> CoursePaths:
    coursedir = CourseDirectory(root=str(root))
    coursedir.course_id = COURSE_ID
    coursedir.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return CoursePaths(coursedir)


def make_result(assignment: str, student: str, ability: float, rng: random.Random) -> dict:
    tests = []
    for test_id, task, points, visibility, difficulty, message in TESTS[assignment]:
        passed = rng.random() < 0.25 + 0.75 * ability * (1.0 - 0.6 * difficulty)
        out = (
            "" if passed else message.format(n=rng.randint(2, 9), x=round(rng.uniform(0.01, 3), 3))
        )
        tests.append(
            {
                "name": test_id.split("::")[1].replace("_", " "),
                "id": test_id,
                "task": task,
                "score": float(points if passed else 0),
                "max_score": float(points),
                "extra_credit": False,
                "status": "passed" if passed else "failed",
                "output": out,
                "visibility": visibility,
                "duration": round(rng.uniform(0.01, 0.8), 3),
                # fields outside the contract must never reach a report
                "expected": SECRET,
                "source": f"def {test_id.split('::')[1]}(): assert out == {SECRET!r}",
            }
        )
    return {
        "schema": 1,
        "assignment": assignment,
        "student": student,
        "status": "graded",
        "status_detail": "",
        "score": sum(t["score"] for t in tests),
        "max_score": float(sum(t["max_score"] for t in tests)),
        "extra_credit_score": 0.0,
        "execution_time": round(rng.uniform(2.0, 12.0), 2),
        "submitted_at": f"2026-10-0{rng.randint(1, 3)} 1{rng.randint(0, 9)}:00:00 UTC",
        "late": False,
        "tests": tests,
        "tasks": {},
        "notebook": {"cells_skipped": [], "cell_errors": []},
        "grader": {"backend": "local", "graders_sha256": SECRET, "sandbox_restarts": 0},
    }


def failed_submission(result: dict, status: str, detail: str, seconds: float) -> dict:
    result.update(status=status, status_detail=detail, score=0.0, execution_time=seconds)
    for t in result["tests"]:
        t.update(status="crashed" if status == "crashed" else "timeout", score=0.0, output="")
    if status == "invalid":
        result["tests"] = []
    return result


def write_course(root: Path, seed: int = 7) -> SyntheticCourse:
    """A class of 14 students over three assignments with every kind of outcome."""
    rng = random.Random(seed)
    paths = make_paths(root)
    course = SyntheticCourse(root, paths)
    ability = {s: rng.uniform(0.35, 1.0) for s in STUDENTS}
    for assignment in TESTS:
        course.results[assignment] = {}
        course.submitted_only[assignment] = []
        students = STUDENTS if assignment != "diffusion" else STUDENTS[:6]
        for student in students:
            result = make_result(assignment, student, ability[student], rng)
            if assignment == "attention":
                if student == "cleo":
                    failed_submission(result, "timeout", "notebook did not finish in 120 s", 120.4)
                elif student == "farid":
                    failed_submission(result, "crashed", "sandbox killed: out of memory", 14.2)
                elif student == "ivan":
                    failed_submission(result, "invalid", "notebook is not valid JSON", 0.1)
                elif student == "jules":
                    course.submitted_only[assignment].append(student)
                    (paths.submitted(student, assignment)).mkdir(parents=True)
                    continue
                elif student == "gus":
                    for t in result["tests"]:
                        t.update(status="failed", score=0.0, output="NotImplementedError")
                    result["score"] = 0.0
                elif student == "hana":
                    result["tests"][1]["output"] = XSS
                    result["tests"][1].update(status="failed", score=0.0)
                    result["score"] = sum(t["score"] for t in result["tests"])
                if student in ("ben", "lea"):
                    result.update(late=True, submitted_at="2026-11-07 09:30:00 UTC")
            paths.submitted(student, assignment).mkdir(parents=True, exist_ok=True)
            target = paths.results(student, assignment)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(result, indent=1))
            course.results[assignment][student] = result
    return course


def write_gradebook(db_url: str, course_id: str) -> None:
    """Roster (names, emails, LMS ids) and due dates in an nbgrader gradebook."""
    from nbgrader.api import Gradebook

    with pytest.MonkeyPatch.context() as mp:  # nbgrader runs `alembic` from PATH
        mp.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
        with Gradebook(db_url, course_id) as gb:
            for i, student in enumerate(STUDENTS):
                gb.add_student(
                    student,
                    first_name=student.capitalize(),
                    last_name=f"Doe{i}",
                    email=f"{student}@uni.example",
                    lms_user_id=str(5000 + i),
                )
            for assignment in TESTS:
                gb.add_assignment(assignment, duedate=DUEDATES.get(assignment))
