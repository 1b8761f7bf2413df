"""Every way to grade goes through the sandbox: the formgrader's autograde action, on a real
Jupyter server with the course service's extensions as the hub configures them, and
nbgrader's own autograde (command line and API) under the course's nbgrader_config.py."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI

from dlgrade.hub.course import write_jupyter_configs
from dlgrade.hub.settings import HubSettings, free_port, plan
from dlgrade.sandbox.backends import get_backend_class
from tests.conftest import FIXTURE_COURSE, REPO, Course, make_course
from tests.hub.hostile import active_payloads, hostile_notebook, live_outputs

pytestmark = pytest.mark.slow

A = "hello"
STUDENT = "mallory"
POINTER = "python -m dlgrade autograde"


@dataclass
class Service:
    """The course service's Jupyter server, reached with its token (as the hub's proxy does)."""

    url: str
    token: str
    log: Path

    def request(self, method: str, path: str, timeout: float = 30) -> tuple[int, str]:
        req = urllib.request.Request(
            f"{self.url}/{path}",
            method=method,
            data=b"" if method == "POST" else None,
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def status(self) -> int | None:
        try:
            return self.request("GET", "api/status", timeout=5)[0]
        except OSError:
            return None


@pytest.fixture(scope="module")
def hub_course(tmp_path_factory) -> Iterator[Course]:
    """The fixture course under this repository's nbgrader_config.py, released."""
    template = tmp_path_factory.mktemp("template")
    shutil.copytree(FIXTURE_COURSE, template, dirs_exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", template / "nbgrader_config.py")
    shutil.copytree(REPO / "courses", template / "courses")
    c = make_course(template)
    (c.root / "exchange").mkdir(exist_ok=True)
    yield c
    shutil.rmtree(c.root, ignore_errors=True)


@pytest.fixture(scope="module")
def markers(hub_course, tmp_path_factory) -> list[Path]:
    """Where the hostile submission writes if it runs unsandboxed: the course root, and a
    folder of the host's /tmp."""
    return [hub_course.root / "PWNED", tmp_path_factory.mktemp("outside") / "PWNED"]


def submit_hostile(c: Course, student: str, markers: list[Path]) -> None:
    """Submit the hostile notebook, stamped to the microsecond as nbgrader's exchange does."""
    path = c.submit(student, hostile_notebook(c.notebook("reference"), [str(m) for m in markers]))
    (path.parent / "timestamp.txt").write_text("2026-11-20 10:00:00.123456 UTC")


@pytest.fixture(scope="module")
def service(hub_course, tmp_path_factory) -> Iterator[Service]:
    """The course service's server in the course root, with the Jupyter config the hub
    writes for it (nbgrader's formgrader off, the course's on)."""
    state = tmp_path_factory.mktemp("state")
    p = plan(HubSettings(state_dir=str(state)), hub_course.paths.coursedir.course_id)
    write_jupyter_configs(p)
    token = secrets.token_hex(16)
    port = free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_PATH": str(p.jupyter_config_dir("course")),
        "JUPYTER_CONFIG_DIR": str(state / "user-config"),
        "JUPYTER_DATA_DIR": str(state / "user-data"),
        "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
    }
    log = state / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={hub_course.root}"],
            cwd=hub_course.root, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    svc = Service(f"http://127.0.0.1:{port}", token, log)
    try:
        deadline = time.monotonic() + 120
        while svc.status() != 200:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        yield svc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def graded(hub_course, markers, service) -> dict:
    """The formgrader's reply to its autograde button on the hostile submission."""
    submit_hostile(hub_course, STUDENT, markers)
    status, body = service.request(
        "POST", f"formgrader/api/submission/{A}/{STUDENT}/autograde", timeout=600
    )
    assert status == 200, service.log.read_text()[-3000:]
    return json.loads(body)


def test_formgrader_autograde_grades_in_the_sandbox(graded, hub_course, markers, service):
    """Does the formgrader's autograde action grade the hostile submission with the hidden
    graders in a sandbox (results.json by the sandbox backend), store its score in the
    gradebook the formgrader shows, and leave no marker of in-kernel execution?"""
    assert graded["success"], graded
    backend = get_backend_class(hub_course.config.Autograder.sandbox_backend).__name__
    assert backend in graded["log"]
    result = hub_course.results(STUDENT)
    assert result["grader"]["backend"] == backend
    assert result["status"] == "graded" and result["score"] > 0
    assert [m for m in markers if m.exists()] == []
    status, body = service.request("GET", f"formgrader/api/submission/{A}/{STUDENT}")
    shown = json.loads(body)
    assert status == 200 and shown["autograded"] and shown["score"] == result["score"]


def formgrader_view(c: Course, service: Service, student: str) -> str:
    """The formgrader's page of the student's autograded notebook (its manual grading view)."""
    with Gradebook(c.paths.coursedir.db_url, c.paths.coursedir.course_id) as gb:
        submission_id = gb.find_submission_notebook(A, A, student).id
    status, page = service.request("GET", f"formgrader/submissions/{submission_id}/")
    assert status == 200, page[-2000:]
    return page


def test_formgrader_view_of_the_submission_runs_no_student_script(graded, hub_course, service):
    """Is the formgrader's page of the autograded hostile notebook free of live student
    markup (scripts, event handlers, javascript: links, frames), with its text and its
    grading boxes still shown?"""
    page = formgrader_view(hub_course, service, STUDENT)
    assert "My notes" in page and 'id="test_softmax"' in page
    assert active_payloads(page) == []


def test_unknown_submissions_are_refused(graded, service):
    """Does the action refuse names that are not a collected submission of a real
    assignment, without grading anything?"""
    for assignment, student in ((A, "nobody"), ("nope", STUDENT), (A, "..")):
        status, body = service.request(
            "POST", f"formgrader/api/submission/{assignment}/{student}/autograde"
        )
        assert status in (200, 404), body
        if status == 200:
            assert json.loads(body)["success"] is False


def test_nbgrader_autograde_is_refused_with_a_pointer(graded, hub_course, markers):
    """Does `nbgrader autograde` (and nbgrader's own API) under the course's config refuse,
    point to the platform's command, and leave submissions, results and gradebook as they
    were?"""
    submit_hostile(hub_course, "trudy", markers)
    before = hub_course.paths.results(STUDENT, A).stat().st_mtime_ns
    cli = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", A, "--force"],
        cwd=hub_course.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert cli.returncode != 0
    assert POINTER in cli.stdout + cli.stderr
    reply = NbGraderAPI(hub_course.paths.coursedir, config=hub_course.config).autograde(A, "trudy")
    assert reply["success"] is False and POINTER in reply["log"]
    assert [m for m in markers if m.exists()] == []
    assert not hub_course.paths.autograded("trudy", A).exists()
    assert hub_course.paths.results(STUDENT, A).stat().st_mtime_ns == before
    with Gradebook(hub_course.paths.coursedir.db_url, hub_course.paths.coursedir.course_id) as gb:
        assert "trudy" not in {s.id for s in gb.students}


def test_other_nbgrader_steps_still_work(graded, hub_course):
    """Do nbgrader's other steps run under the course's config: the release done by the
    fixture, `nbgrader export` with the sandbox's score, and nbgrader's feedback, sanitized?"""
    assert (hub_course.paths.release(A) / f"{A}.ipynb").exists()
    out = hub_course.root / "grades.csv"
    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--to={out}"],
        cwd=hub_course.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    score = f"{hub_course.results(STUDENT)['score']:g}"
    assert any(STUDENT in row and score in row for row in out.read_text().splitlines())
    api = NbGraderAPI(hub_course.paths.coursedir, config=hub_course.config)
    reply = api.generate_feedback(A, STUDENT)
    assert reply["success"], reply
    feedback = hub_course.paths.feedback(STUDENT, A) / f"{A}.html"
    assert "My notes" in feedback.read_text()
    assert active_payloads(feedback.read_text()) == []


def test_a_notebook_written_unsanitized_shows_no_script_either(graded, hub_course, service):
    """Does the formgrader sanitize what it renders itself, so that an autograded notebook
    with live student outputs (as nbgrader's in-kernel autograde, or an older version, wrote
    them) runs no script in its view, where nbconvert alone would render them live?"""
    path = hub_course.paths.autograded(STUDENT, A) / f"{A}.ipynb"
    submitted = nbformat.read(hub_course.paths.submitted(STUDENT, A) / f"{A}.ipynb", as_version=4)
    nbformat.write(live_outputs(submitted), path)
    assert active_payloads(HTMLExporter(template_name="classic").from_filename(str(path))[0])
    page = formgrader_view(hub_course, service, STUDENT)
    assert "My notes" in page
    assert active_payloads(page) == []
