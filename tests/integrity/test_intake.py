"""Intake attacks: a submission folder that is anything but plain files and folders.

Links to the solutions, to a grader file or to another student's work, hard links,
fifos, devices, sockets, too many or too large files: each submission is graded in one
batch next to honest students (who keep full marks), must come out `invalid` with a
reason, and nothing of it may reach autograded/ or feedback/.
"""

from __future__ import annotations

import os
import socket
import stat

import pytest
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config

from dlgrade.feedback import write_feedback

pytestmark = pytest.mark.slow

MAX_FILES, MAX_MB = 20, 1.0
SOLUTION_MARK = "BEGIN SOLUTION"  # only in source/hello/hello.ipynb
GRADER_MARK = "def test_softmax_stable"  # only in graders/hello/test_hello.py


def _folder(course, student):
    folder = course.paths.submitted(student, "hello")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-11-20 10:00:00.000000 UTC")
    return folder


def _honest(course, student):
    course.submit(student, course.notebook("reference"))
    return course.paths.submitted(student, "hello")


def _mknod(path):
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    except OSError as exc:
        pytest.skip(f"cannot create a device node here: {exc}")


def _unix_socket(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def _attacks(course) -> dict[str, str]:
    """Plant every attack; returns student -> the words its reason must contain."""
    source = course.paths.source("hello") / "hello.ipynb"
    grader = course.paths.graders("hello") / "test_hello.py"
    base = course.paths.submitted_base()
    expected = {}

    os.symlink(source, _folder(course, "nb_link_to_source") / "hello.ipynb")
    expected["nb_link_to_source"] = "hello.ipynb is a symbolic link"

    os.symlink(grader, _honest(course, "secret_link") / "submission_secret.txt")
    expected["secret_link"] = "submission_secret.txt is a symbolic link"

    (base / "folder_link").mkdir()
    os.symlink(base / "honest" / "hello", base / "folder_link" / "hello")
    expected["folder_link"] = "assignment folder 'hello' is a symbolic link"

    os.symlink(base / "honest", base / "student_link")
    expected["student_link"] = "student folder 'student_link' is a symbolic link"

    os.link(source, _folder(course, "hard_link") / "hello.ipynb")
    expected["hard_link"] = "hello.ipynb is a hard link"

    os.mkfifo(_folder(course, "fifo_notebook") / "hello.ipynb")
    expected["fifo_notebook"] = "hello.ipynb is a named pipe"

    _mknod(_honest(course, "device") / "data.npy")
    expected["device"] = "data.npy is a device"

    _unix_socket(_honest(course, "unix_socket") / "s")
    expected["unix_socket"] = "s is a socket"

    nested = _honest(course, "nested_link") / "data" / "more"
    nested.mkdir(parents=True)
    os.symlink(grader, nested / "notes.txt")
    expected["nested_link"] = "data/more/notes.txt is a symbolic link"

    many = _honest(course, "too_many_files")
    for i in range(MAX_FILES):
        (many / f"part{i:02d}.txt").write_text("x")
    expected["too_many_files"] = f"more than {MAX_FILES} files"

    (_honest(course, "too_large") / "weights.npy").write_bytes(b"\0" * int(1.5 * 2**20))
    expected["too_large"] = f"more than {MAX_MB:g} MiB"
    return expected


def _collect_from_exchange(course) -> dict[str, str]:
    """Links left in the exchange's inbound folder, collected by the course's collect."""
    source = course.paths.source("hello") / "hello.ipynb"
    inbound = course.root / "exchange" / course.config.CourseDirectory.course_id / "inbound"
    inbound.mkdir(parents=True)
    stamp = "2026-11-20 10:00:00.000000 UTC"
    entry = inbound / f"collected_link+hello+{stamp}+r1"
    entry.mkdir()
    os.symlink(source, entry / "hello.ipynb")
    (entry / "timestamp.txt").write_text(stamp)
    os.symlink(course.paths.source("hello"), inbound / f"collected_dir_link+hello+{stamp}+r2")
    config = Config(course.config)
    config.ExchangeFactory.collect = "dlgrade.grading.intake.SafeCollect"
    api = NbGraderAPI(coursedir=course.paths.coursedir, config=config)
    outcome = api.collect("hello")
    assert outcome["success"], outcome
    return {
        "collected_link": "hello.ipynb is a symbolic link",
        "collected_dir_link": "assignment folder 'hello' is a symbolic link",
    }


@pytest.fixture(scope="module")
def graded(module_course):
    course = module_course
    _honest(course, "honest")
    extras = _honest(course, "honest_with_files")
    (extras / "data").mkdir()
    (extras / "data" / "points.csv").write_text("x,y\n1,2\n")
    (extras / "notes.md").write_text("my notes")
    expected = _attacks(course)
    expected |= _collect_from_exchange(course)
    results = course.grade(
        workers=2, Autograder__watchdog_time_limit=120.0, Intake__max_files=MAX_FILES,
        Intake__max_total_mb=MAX_MB,
    )  # fmt: skip
    for student in results:
        write_feedback(course.paths, "hello", student)
    return course, results, expected


def _written_text(course, student) -> str:
    text = ""
    for step in ("autograded", "feedback"):
        folder = course.root / step / student / "hello"
        for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
            assert not path.is_symlink(), path
            if path.is_file():
                text += path.read_text(errors="replace")
    return text


@pytest.mark.parametrize("student", ["honest", "honest_with_files"])
def test_honest_students_keep_full_marks(graded, student):
    """Do honest students, extra files and subfolders included, keep every point?"""
    _, results, _ = graded
    r = results[student]
    assert (r["status"], r["score"], r["max_score"]) == ("graded", 5.0, 5.0), r["status_detail"]


def test_every_attack_has_a_result(graded):
    """Is every submission recorded, links to other folders included (none is skipped)?"""
    _, results, expected = graded
    assert set(expected) | {"honest", "honest_with_files"} == set(results)


@pytest.mark.parametrize(
    "student",
    [
        "nb_link_to_source", "secret_link", "folder_link", "student_link", "hard_link",
        "fifo_notebook", "device", "unix_socket", "nested_link", "too_many_files",
        "too_large", "collected_link", "collected_dir_link",
    ],
)  # fmt: skip
def test_attack_is_invalid_with_a_reason_and_nothing_copied(graded, student):
    """Is the submission invalid, with a reason that names the entry, no score, and
    nothing of its folder (solutions, grader source, timestamp, secret) in autograded/
    or feedback/?"""
    course, results, expected = graded
    r = results[student]
    assert r["status"] == "invalid" and r["score"] == 0.0 and r["tests"] == []
    assert r["status_detail"].startswith("submission rejected: ")
    assert expected[student] in r["status_detail"]
    names = sorted(p.name for p in course.paths.autograded(student, "hello").iterdir())
    assert names == ["results.json"]
    assert sorted(p.name for p in course.paths.feedback(student, "hello").iterdir()) == [
        "hello.html"
    ]
    text = _written_text(course, student)
    assert SOLUTION_MARK not in text and GRADER_MARK not in text


def test_collect_keeps_links_as_links(graded):
    """Did the course's collect bring the inbound links into submitted/ as links (which
    intake rejects), not as copies of the solution they point to?"""
    course, _, _ = graded
    assert (course.paths.submitted("collected_link", "hello") / "hello.ipynb").is_symlink()
    assert course.paths.submitted("collected_dir_link", "hello").is_symlink()
