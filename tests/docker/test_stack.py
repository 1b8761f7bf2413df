"""The compose stack: JupyterHub spawns a container per student, as that student, with the
nbgrader exchange mounted; the two courses side by side, an assignment of each goes out,
comes back and is collected by its own course only; a TA of one course is refused by the
other's formgrader and cannot list its submissions.

Driven through the hub's REST API (the `dlgrade-admin` service token) on a throwaway
stack (DLGRADE_STACK=dlgradetest) with its own volumes, network and port.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.docker

STACK = "dlgradetest"
COURSE = "dl-advanced"
INTRO = "dl-intro"
# course id -> (its formgrader's container, its grader account's uid, an assignment, its release)
COURSES = {
    COURSE: (f"{STACK}-formgrader-1", "29999", "attention", REPO / "release" / "attention"),
    INTRO: (f"{STACK}-formgrader-intro-1", "29998", "approximation",
            REPO / "release" / "intro" / "approximation"),
}  # fmt: skip
# who is in which course: alice takes both, bob the advanced one, tara is its TA
ENROLMENT = {"alice": [f"nbgrader-{COURSE}", f"nbgrader-{INTRO}"],
             "bob": [f"nbgrader-{COURSE}"], "tara": [f"formgrade-{COURSE}"]}  # fmt: skip
COMPOSE_FILES = ["-f", str(REPO / "docker" / "compose.yaml")]
IMAGES = ("dlgrade-hub:latest", "dlgrade-notebook:latest", "dlgrade-formgrader:latest")


def _compose_command() -> list[str]:
    cached = REPO / "docker" / ".cache" / "compose-command"
    if cached.exists():
        return cached.read_text().split()
    return ["docker", "compose"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _sh(*cmd, check=True, timeout=300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, check=check, **kw
    )


class Stack:
    def __init__(self, env_file: Path, port: int, token: str):
        self.env_file = env_file
        self.url = f"http://127.0.0.1:{port}"
        self.token = token
        self.compose = [*_compose_command(), "--env-file", str(env_file), *COMPOSE_FILES]

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        return self.http(method, f"/hub/api{path}", body, timeout)

    def http(self, method: str, path: str, body=None, timeout: float = 30, form=None, token=None):
        data, headers = None, {"Authorization": f"token {token or self.token}"}
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def logs(self) -> str:
        out = _sh(*self.compose, "logs", "--no-color", "--tail", "150", check=False)
        return out.stdout[-6000:] + out.stderr[-2000:]

    def spawn(self, user: str, timeout: float = 300) -> dict:
        status, _ = self.api("POST", f"/users/{user}/server")
        assert status in (201, 202), (status, self.logs())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, model = self.api("GET", f"/users/{user}")
            server = (model.get("servers") or {}).get("", {})
            if server.get("ready"):
                return server
            time.sleep(2)
        raise AssertionError(f"{user}'s server did not start:\n{self.logs()}")

    def exec(self, container: str, *cmd, user: str | None = None, check=True):
        args = ["docker", "exec", *(["--user", user] if user else []), container, *cmd]
        return _sh(*args, check=check)


def _cleanup(stack: Stack | None) -> None:
    if stack is not None:
        _sh(*stack.compose, "down", "--volumes", "--remove-orphans", "--timeout", "5", check=False)
    # what the hub created outside compose: user containers and home volumes
    names = _sh("docker", "ps", "-aq", "--filter", f"name=^{STACK}-", check=False).stdout.split()
    if names:
        _sh("docker", "rm", "-f", *names, check=False)
    vols = _sh("docker", "volume", "ls", "-q", "--filter", f"name=^{STACK}-", check=False)
    if vols.stdout.split():
        _sh("docker", "volume", "rm", "-f", *vols.stdout.split(), check=False)
    _sh("docker", "network", "rm", STACK, check=False)


@pytest.fixture(scope="module")
def stack(docker_ready):
    missing = [i for i in IMAGES if _sh("docker", "image", "inspect", i, check=False).returncode]
    if missing:
        msg = f"images missing: {missing} (make docker-build)"
        if os.environ.get("DLGRADE_REQUIRE_DOCKER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    _cleanup(None)
    port, token = _free_port(), secrets.token_hex(32)
    tmp = Path(tempfile.mkdtemp(prefix="dlgrade-stack-"))
    env_file = tmp / "stack.env"
    env_file.write_text(
        "\n".join(
            [
                f"DLGRADE_STACK={STACK}",
                f"DLGRADE_COURSE_ID={COURSE}",
                f"DLGRADE_INTRO_COURSE_ID={INTRO}",
                f"DLGRADE_PORT={port}",
                "DLGRADE_BIND=127.0.0.1",
                f"DLGRADE_HUB_PASSWORD={secrets.token_hex(8)}",
                f"DLGRADE_ADMIN_TOKEN={token}",
                f"DLGRADE_COURSE_TOKEN={secrets.token_hex(32)}",
                f"DLGRADE_INTRO_COURSE_TOKEN={secrets.token_hex(32)}",
                "DLGRADE_MEM_LIMIT=2G",
                "DLGRADE_CPU_LIMIT=1",
                "DLGRADE_SHM_SIZE=256m",
                "DLGRADE_START_TIMEOUT=300",
                "",
            ]
        )
    )
    stack = Stack(env_file, port, token)
    try:
        up = _sh(
            *stack.compose, "up", "-d", "--wait", "--wait-timeout", "180", check=False, timeout=240
        )
        assert up.returncode == 0, up.stderr + stack.logs()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status, _ = stack.api("GET", "/")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            raise AssertionError(f"the hub does not answer:\n{stack.logs()}")
        yield stack
    finally:
        _cleanup(stack)
        shutil.rmtree(tmp, ignore_errors=True)


def test_compose_files_validate():
    """Do docker/compose.yaml and the GPU override validate?"""
    env = {**os.environ, "DLGRADE_COURSE_TOKEN": "x", "DLGRADE_INTRO_COURSE_TOKEN": "y"}
    for files in (COMPOSE_FILES, [*COMPOSE_FILES, "-f", str(REPO / "docker" / "compose.gpu.yaml")]):
        out = _sh(*_compose_command(), *files, "config", "-q", env=env, check=False)
        assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def students(stack):
    """alice (both courses), bob (the advanced one) and tara (its TA), created through the
    REST API into the courses' groups, each with a running server."""
    for user, groups in ENROLMENT.items():
        status, _ = stack.api("POST", f"/users/{user}")
        assert status in (201, 409), status
        for group in groups:
            status, _ = stack.api("POST", f"/groups/{group}/users", {"users": [user]})
            assert status == 200, (group, status)
    return {user: stack.spawn(user) for user in ENROLMENT}


def test_student_server_is_jupyterlab_with_the_assignment_list(stack, students):
    """JupyterLab answers behind the hub; nbgrader's assignment list is there, formgrader not."""
    status, info = stack.http("GET", "/user/alice/api/status")
    assert status == 200, info
    status, page = stack.http("GET", "/user/alice/lab")
    assert status == 200 and "JupyterLab" in page
    status, listing = stack.http("GET", f"/user/alice/assignments?course_id={COURSE}")
    assert status == 200 and listing["success"] is True, listing
    labext = stack.exec(f"{STACK}-alice", "jupyter", "labextension", "list")
    text = labext.stdout + labext.stderr
    assert "@jupyter/nbgrader:assignment-list" not in _disabled(text)
    assert "@jupyter/nbgrader:formgrader" in _disabled(text)


PROCESS_OWNERS = """
import os
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        uid = open(f"/proc/{pid}/status").read().split("Uid:")[1].split()[0]
        cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\\0", b" ").decode()
    except OSError:
        continue
    print(uid, " ".join(cmd.split())[:200])
"""


def _disabled(labextension_list: str) -> str:
    return labextension_list.split("Disabled extensions:", 1)[-1]


@pytest.mark.parametrize("course", list(COURSES))
def test_formgrader_service_answers(stack, course):
    """Each course's formgrader runs as a hub service in its own container, as its own grader
    account, with its own course volume and not the other's."""
    container, uid, _, _ = COURSES[course]
    status, services = stack.api("GET", "/services")
    assert status == 200 and set(COURSES) <= set(services), services
    status, info = stack.http("GET", f"/services/{course}/api/status")
    assert status == 200, info
    status, page = stack.http("GET", f"/services/{course}/formgrader")
    assert status == 200 and "formgrade" in page.lower(), page[:500]
    whoami = stack.exec(container, "python", "-c", PROCESS_OWNERS)
    servers = [line for line in whoami.stdout.splitlines() if "bin/jupyterhub-singleuser" in line]
    assert servers and all(line.split()[0] == uid for line in servers), whoami.stdout
    (other,) = set(COURSES) - {course}
    assert stack.exec(container, "test", "-e", f"/home/grader-{other}", check=False).returncode
    folder = stack.exec(container, "stat", "-c", "%u %a", f"/srv/nbgrader/exchange/{course}")
    assert folder.stdout.split() == [uid, "755"]


def test_ta_of_one_course_is_refused_by_the_others_formgrader(stack, students):
    """tara grades the advanced course: its formgrader lets her in, the intro one answers 403."""
    status, made = stack.api("POST", "/users/tara/tokens", {"note": "test_stack"})
    assert status in (200, 201), made
    token = made["token"]
    status, _ = stack.http("GET", f"/services/{COURSE}/api/status", token=token)
    assert status == 200
    status, _ = stack.http("GET", f"/services/{INTRO}/api/status", token=token)
    assert status == 403
    status, _ = stack.http("GET", f"/services/{INTRO}/formgrader", token=token)
    assert status == 403


def test_student_runs_as_own_user_with_exchange_mounted(stack, students):
    """The server runs as alice (her own uid, not jovyan or root); the exchange is mounted."""
    status, _ = stack.http(
        "PUT",
        "/user/alice/api/contents/probe.txt",
        body={"type": "file", "format": "text", "content": "mine"},
    )
    assert status in (200, 201)
    owner = stack.exec(f"{STACK}-alice", "stat", "-c", "%U %u", "/home/alice/probe.txt")
    name, uid = owner.stdout.split()
    assert name == "alice" and int(uid) >= 30000
    procs = stack.exec(f"{STACK}-alice", "python", "-c", PROCESS_OWNERS, user=uid).stdout
    # every process but the init (tini, pid 1, which only reaps) runs as alice
    servers = [line for line in procs.splitlines() if "bin/jupyterhub-singleuser" in line]
    assert servers and all(line.split()[0] == uid for line in servers), procs
    others = [line for line in procs.splitlines() if "tini" not in line]
    assert all(line.split()[0] == uid for line in others), procs
    mounts = json.loads(_sh("docker", "inspect", f"{STACK}-alice").stdout)[0]["Mounts"]
    by_dest = {m["Destination"]: m.get("Name") for m in mounts}
    assert by_dest.get("/srv/nbgrader/exchange") == f"{STACK}-exchange"
    assert by_dest.get("/home/alice") == f"{STACK}-home-alice"
    mode = stack.exec(f"{STACK}-alice", "stat", "-c", "%a", "/srv/nbgrader/exchange")
    assert mode.stdout.strip() == "1777"


def test_students_cannot_see_each_other(stack, students):
    """bob's container has only bob's home; alice's files are not there."""
    homes = stack.exec(f"{STACK}-bob", "ls", "/home").stdout.split()
    assert homes == ["bob"]
    seen = stack.exec(f"{STACK}-bob", "test", "-e", "/home/alice/probe.txt", check=False)
    assert seen.returncode != 0


def _as_grader(stack: Stack, course: str, command: str) -> None:
    """Run a shell command in the course folder as the course's grader account."""
    container, uid, _, _ = COURSES[course]
    root = f"/home/grader-{course}/{course}"
    env = ["env", f"HOME=/home/grader-{course}", f"USER=grader-{course}"]
    done = stack.exec(container, *env, "sh", "-c", f"cd {root} && {command}", user=uid, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def released(stack, students):
    """An assignment of each course released by its own formgrader."""
    for course, (container, uid, assignment, folder) in COURSES.items():
        root = f"/home/grader-{course}/{course}"
        stack.exec(container, "install", "-d", "-o", uid, "-g", uid, f"{root}/release")
        _sh("docker", "cp", str(folder), f"{container}:{root}/release/")
        stack.exec(container, "chown", "-R", f"{uid}:{uid}", root)
        _as_grader(stack, course, f"nbgrader release_assignment {assignment} --force")
    return {course: entry[2] for course, entry in COURSES.items()}


def test_each_student_sees_the_courses_they_take(stack, released):
    """alice lists both courses' assignments; bob only the advanced one, and the intro
    assignment is not his to fetch."""
    for user, expected in (("alice", sorted(COURSES)), ("bob", [COURSE])):
        status, courses = stack.http("GET", f"/user/{user}/courses")
        assert status == 200 and sorted(courses["value"]) == expected, (user, courses)
    for course, assignment in released.items():
        status, listing = stack.http("GET", f"/user/alice/assignments?course_id={course}")
        assert [a["assignment_id"] for a in listing["value"]] == [assignment], listing
    status, listing = stack.http("GET", f"/user/bob/assignments?course_id={INTRO}")
    assert status == 200 and listing["value"] == [], listing
    form = {"course_id": INTRO, "assignment_id": released[INTRO]}
    status, fetched = stack.http("POST", "/user/bob/assignments/fetch", form=form, timeout=60)
    # nbgrader answers a fetch with the course's list (empty for bob), and copies nothing
    assert status == 200 and fetched["value"] == [], fetched
    copy = stack.exec(f"{STACK}-bob", "test", "-e", f"/home/bob/{INTRO}", check=False)
    assert copy.returncode != 0


def _fetch_and_submit(stack: Stack, course: str, assignment: str) -> str:
    """alice fetches the course's assignment (once) and submits it; its notebook's path."""
    form = {"course_id": course, "assignment_id": assignment}
    notebook = f"{assignment}/{assignment}.ipynb"
    home = f"/home/alice/{course}/{notebook}"
    if stack.exec(f"{STACK}-alice", "test", "-e", home, check=False).returncode:
        status, fetched = stack.http("POST", "/user/alice/assignments/fetch", form=form, timeout=60)
        assert status == 200 and fetched["success"], fetched
        stack.exec(f"{STACK}-alice", "test", "-s", home)
    status, submitted = stack.http("POST", "/user/alice/assignments/submit", form=form, timeout=60)
    assert status == 200 and submitted["success"], submitted
    return notebook


@pytest.mark.parametrize("course", list(COURSES))
def test_release_fetch_submit_collect(stack, released, course):
    """An assignment released by a course goes out to alice, comes back, and is collected by
    that course alone."""
    assignment = released[course]
    notebook = _fetch_and_submit(stack, course, assignment)
    _as_grader(stack, course, f"nbgrader collect {assignment}")
    container = COURSES[course][0]
    root = f"/home/grader-{course}/{course}"
    stack.exec(container, "test", "-s", f"{root}/submitted/alice/{notebook}")
    (other,) = set(COURSES) - {course}
    found = stack.exec(COURSES[other][0], "find", f"/home/grader-{other}", "-path",
                       f"*/submitted/alice/{assignment}*")  # fmt: skip
    assert found.stdout == ""


def test_ta_cannot_list_the_other_courses_submissions(stack, released):
    """From her own server, tara can neither list the intro course's inbound folder nor find
    alice's submission in it (nbgrader's folders: writable, not readable, by others)."""
    _fetch_and_submit(stack, INTRO, released[INTRO])
    inbound = f"/srv/nbgrader/exchange/{INTRO}/inbound"
    listing = stack.exec(f"{STACK}-tara", "ls", inbound, user=_uid(stack, "tara"), check=False)
    assert listing.returncode != 0 and "Permission denied" in listing.stderr, listing
    guess = stack.exec(f"{STACK}-tara", "sh", "-c", f"ls -d {inbound}/alice*",
                       user=_uid(stack, "tara"), check=False)  # fmt: skip
    assert guess.returncode != 0 and "alice" not in guess.stdout


def _uid(stack: Stack, user: str) -> str:
    return stack.exec(f"{STACK}-{user}", "id", "-u", user).stdout.strip()
