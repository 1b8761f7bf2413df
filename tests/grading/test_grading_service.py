"""The warm grading service (`dlgrade serve`) and its executor (`executor = "service"`):
a real service process in a throwaway course, spoken to through its socket."""

from __future__ import annotations

import copy
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from traitlets.config import Config

from dlgrade.cluster.service import ServiceError
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.service import (
    GradingService,
    RequestError,
    code_digest,
    grade_request,
    grading_settings,
    parse_jobs,
    replies,
)
from dlgrade.sandbox import protocol
from tests.conftest import make_course, score_summary

SLOW = "import time\ntime.sleep(1.5)\n"


class Running:
    """`dlgrade serve` in `course`'s root, as its own process group."""

    def __init__(self, course, workers: int = 2, *args: str) -> None:
        self.course = course
        self.path = GradingService().socket_path(course.paths)
        self.log = course.root / f"serve-{time.monotonic_ns()}.log"
        cmd = [sys.executable, "-m", "dlgrade", "serve", f"--Autograder.workers={workers}"]
        cmd += [f"--CourseDirectory.root={course.root}", *args]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                cmd, cwd=course.root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while "ready at" not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def ask(self, request: dict | bytes) -> list[dict]:
        with socket.socket(socket.AF_UNIX) as sock, sock.makefile("rwb") as stream:
            sock.settimeout(60)
            sock.connect(str(self.path))
            if isinstance(request, bytes):
                stream.write(request)
                stream.flush()
                sock.shutdown(socket.SHUT_WR)
            else:
                protocol.write_frame(stream, request)
            return list(replies(stream))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(60)


def _config(course, **autograder) -> Config:
    cfg = copy.deepcopy(course.config)
    for key, value in autograder.items():
        cfg.Autograder[key] = value
    return cfg


def _grade(course, cfg: Config, students: list[str]) -> dict[str, dict]:
    grader = Autograder(config=cfg)
    results = grader.grade_jobs(course.paths, [batch.Job(course.assignment, s) for s in students])
    assert sorted(r.student for r in results) == sorted(students)
    return {s: score_summary(course.results(s)) for s in students}


def _submit_class(course) -> list[str]:
    ref = course.notebook("reference")
    buggy = course.notebook("reference")
    for cell in buggy.cells:
        if "def scale" in cell.source:
            cell.source = "def scale(x, factor):\n    return x + factor"
    course.submit("ada", ref)
    course.submit("bob", buggy)
    course.submit("cyd", b"{not a notebook")
    return ["ada", "bob", "cyd"]


@pytest.fixture(scope="module")
def served():
    course = make_course()
    students = _submit_class(course)
    local = _grade(course, _config(course, executor="local"), students)
    service = Running(course)
    yield course, service, students, local
    service.stop()


def test_the_service_grades_a_batch_exactly_as_a_local_run(served, caplog):
    course, service, students, local = served
    with caplog.at_level(logging.WARNING):
        got = _grade(course, _config(course, executor="service", workers=2), students)
    assert got == local
    assert local["ada"]["score"] == local["ada"]["max_score"] > local["bob"]["score"]
    assert local["cyd"]["status"] == "invalid"
    assert not [r for r in caplog.records if "here" in r.getMessage()]
    assert "graded 3 of 3 submissions" in service.log.read_text()


def test_a_client_with_other_grading_settings_is_graded_here_and_told_why(served, caplog):
    course, service, students, local = served
    cfg = _config(course, executor="service", cell_time_limit=7.0)
    with caplog.at_level(logging.WARNING):
        got = _grade(course, cfg, students)
    assert got == local
    assert (
        "grading settings differ" in caplog.text and "grading 3 submission(s) here" in caplog.text
    )
    cfg.ServiceExecutor.fallback = False
    with pytest.raises(ServiceError, match="settings differ"):
        Autograder(config=cfg).grade_jobs(course.paths, [batch.Job(course.assignment, "ada")])


def test_the_service_refuses_what_it_should_not_grade_and_keeps_serving(served):
    course, service, students, _ = served
    cfg = Autograder(config=_config(course)).course_config(course.paths)
    good = grade_request(cfg, [batch.Job(course.assignment, "ada")], 1)
    for change, reason in (
        ({"code": "0" * 64}, "another version of dlgrade"),
        ({"jobs": [[course.assignment, "../ada", None]]}, "not a student name"),
        ({"jobs": [["a/b", "ada", None]]}, "not a assignment name"),
        ({"workers": 0}, "workers"),
        ({"course": {"Autograder": {"cell_time_limit": 1}}}, "course's sections only"),
        ({"op": "shell"}, "unknown op"),
    ):
        (reply,) = service.ask({**good, **change})
        assert reply["op"] == "refused" and reason in reply["reason"]
    assert service.ask(b"\xff\xff\xff\xffgarbage") == []
    assert service.ask({"op": "ping"}) == [{"op": "pong", "workers": 2, "blobs": []}]


def test_a_second_service_does_not_take_over_the_socket(served):
    course, service, _, _ = served
    with pytest.raises(RuntimeError, match="already answers at"):
        Running(course, 1)
    assert service.ask({"op": "ping"})[0]["op"] == "pong"


def test_the_socket_is_closed_to_other_users(served):
    course, service, _, _ = served
    if os.geteuid() != 0:
        pytest.skip("needs root to try as another uid")
    assert oct(service.path.stat().st_mode & 0o777) == "0o600"
    assert oct(service.path.parent.stat().st_mode & 0o777) == "0o700"
    code = (
        "import os, socket, sys\nos.setgid(65534); os.setuid(65534)\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        f"try:\n    s.connect({str(service.path)!r})\nexcept PermissionError:\n    sys.exit(3)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 3


def test_a_client_that_hangs_up_stops_its_batch(served):
    course, service, _, _ = served
    slow = course.notebook("reference")
    slow.cells[1].source = SLOW + slow.cells[1].source
    names = [f"slow{i}" for i in range(6)]
    for name in names:
        course.submit(name, slow)
    cfg = Autograder(config=_config(course)).course_config(course.paths)
    request = grade_request(cfg, [batch.Job(course.assignment, n) for n in names], 1)
    with socket.socket(socket.AF_UNIX) as sock, sock.makefile("rwb") as stream:
        sock.connect(str(service.path))
        protocol.write_frame(stream, request)
        frames = replies(stream)
        assert next(frames)["op"] == "accepted"
        assert next(frames)["op"] == "done"
    time.sleep(4)
    assert service.ask({"op": "ping"})[0]["op"] == "pong"
    graded = [n for n in names if course.paths.results(n, course.assignment).exists()]
    assert 1 <= len(graded) < len(names)


def test_what_a_dying_service_leaves_is_graded_here_once(tmp_path, caplog):
    course = make_course()
    slow = course.notebook("reference")
    slow.cells[1].source = SLOW + slow.cells[1].source
    names = [f"s{i}" for i in range(4)]
    for name in names:
        course.submit(name, slow)
    service = Running(course, 1)
    seen: list[str] = []

    def progress(job, result):
        seen.append(job.student)
        if len(seen) == 1:
            service.stop(signal.SIGKILL)

    cfg = _config(course, executor="service", workers=1)
    jobs = [batch.Job(course.assignment, n) for n in names]
    with caplog.at_level(logging.WARNING):
        results = Autograder(config=cfg).grade_jobs(course.paths, jobs, progress)
    assert sorted(seen) == sorted(names) == sorted(r.student for r in results)
    assert all(r.score == r.max_score > 0 for r in results)
    assert "stopped before the batch was done" in caplog.text


def test_status_says_whether_a_service_is_up(served, course):
    served_course, service, _, _ = served
    for root, says in ((served_course.root, "ready at"), (course.root, "none at")):
        done = subprocess.run(
            [sys.executable, "-m", "dlgrade", "status", "--assignment=hello"],
            cwd=root, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert f"grading service: {says}" in done.stdout
    assert "(2 workers)" in subprocess.run(
        [sys.executable, "-m", "dlgrade", "status"], cwd=served_course.root,
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip


def test_no_service_means_grading_here(course, caplog):
    (name,) = _submit_class(course)[:1]
    with caplog.at_level(logging.WARNING):
        got = _grade(course, _config(course, executor="service"), [name])
    assert got[name]["score"] == got[name]["max_score"]
    assert "no grading service answers" in caplog.text


def test_grading_settings_are_what_decides_a_grade():
    cfg = Config()
    cfg.Autograder.workers = 4
    cfg.Autograder.force = True
    cfg.Autograder.cell_time_limit = 30.0
    cfg.Autograder.test_time_limit = 60
    cfg.CourseDirectory.root = "/somewhere"
    cfg.SlurmExecutor.partition = "gpu"
    cfg.LocalSandbox.memory_limit_mb = 1024
    assert grading_settings(cfg) == {
        "Autograder": {"cell_time_limit": 30, "test_time_limit": 60},
        "LocalSandbox": {"memory_limit_mb": 1024},
    }


def test_jobs_of_a_request_are_checked():
    jobs = parse_jobs([["hello", "ada", "2026-12-01T10:00:00"], ["hello", "bob", None]])
    assert jobs[0].duedate == datetime(2026, 12, 1, 10) and jobs[1].duedate is None
    for bad in (
        [["hello", "..", None]],
        [["hello", "a\0b", None]],
        [["hello", "ada", "tomorrow"]],
        [["hello", "ada"]],
        [["hello", "ada", None], ["hello", "ada", None]],
        {"hello": "ada"},
    ):
        with pytest.raises(RequestError):
            parse_jobs(bad)


def test_the_code_digest_follows_the_package(tmp_path: Path):
    (tmp_path / "a.py").write_text("x = 1\n")
    before = code_digest(tmp_path)
    assert code_digest(tmp_path) == before
    (tmp_path / "a.py").write_text("x = 22\n")
    assert code_digest(tmp_path) != before
