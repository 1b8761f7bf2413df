"""The compose stack: JupyterHub spawns a container per student, as that student, with the
nbgrader exchange mounted; an assignment goes out, comes back and is collected.

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
COURSE = "dl101"
ASSIGNMENT = "attention"
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

    def http(self, method: str, path: str, body=None, timeout: float = 30, form=None):
        data, headers = None, {"Authorization": f"token {self.token}"}
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
                f"DLGRADE_PORT={port}",
                "DLGRADE_BIND=127.0.0.1",
                f"DLGRADE_HUB_PASSWORD={secrets.token_hex(8)}",
                f"DLGRADE_ADMIN_TOKEN={token}",
                f"DLGRADE_COURSE_TOKEN={secrets.token_hex(32)}",
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
    env = {**os.environ, "DLGRADE_COURSE_TOKEN": "x"}
    for files in (COMPOSE_FILES, [*COMPOSE_FILES, "-f", str(REPO / "docker" / "compose.gpu.yaml")]):
        out = _sh(*_compose_command(), *files, "config", "-q", env=env, check=False)
        assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def students(stack):
    """Two students created through the REST API, each with a running server."""
    for user in ("alice", "bob"):
        status, _ = stack.api("POST", f"/users/{user}")
        assert status in (201, 409), status
        status, _ = stack.api("POST", f"/groups/nbgrader-{COURSE}/users", {"users": [user]})
        assert status == 200, status
    return {user: stack.spawn(user) for user in ("alice", "bob")}


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


def test_formgrader_service_answers(stack):
    """The course's formgrader runs as a hub service in its own container."""
    status, services = stack.api("GET", "/services")
    assert status == 200 and COURSE in services, services
    status, info = stack.http("GET", f"/services/{COURSE}/api/status")
    assert status == 200, info
    status, page = stack.http("GET", f"/services/{COURSE}/formgrader")
    assert status == 200 and "formgrade" in page.lower(), page[:500]
    whoami = stack.exec(f"{STACK}-formgrader-1", "python", "-c", PROCESS_OWNERS)
    servers = [line for line in whoami.stdout.splitlines() if "bin/jupyterhub-singleuser" in line]
    assert servers and all(line.split()[0] == "29999" for line in servers), whoami.stdout


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


def test_release_fetch_submit_collect(stack, students):
    """An assignment released by the course goes out to alice, comes back and is collected."""
    formgrader = f"{STACK}-formgrader-1"
    root = f"/home/grader-{COURSE}/{COURSE}"
    grader = "29999"
    stack.exec(formgrader, "install", "-d", "-o", grader, "-g", grader, f"{root}/release")
    _sh("docker", "cp", str(REPO / "release" / ASSIGNMENT), f"{formgrader}:{root}/release/")
    stack.exec(formgrader, "chown", "-R", f"{grader}:{grader}", root)
    env = ["env", f"HOME=/home/grader-{COURSE}", f"USER=grader-{COURSE}"]

    def as_grader(command: str) -> None:
        """Run an nbgrader command in the course folder as the course's grader account."""
        done = stack.exec(
            formgrader, *env, "sh", "-c", f"cd {root} && {command}", user=grader, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr

    as_grader(f"nbgrader release_assignment {ASSIGNMENT} --course={COURSE} --force")

    status, listing = stack.http("GET", f"/user/alice/assignments?course_id={COURSE}")
    assert [a["assignment_id"] for a in listing["value"]] == [ASSIGNMENT], listing
    form = {"course_id": COURSE, "assignment_id": ASSIGNMENT}
    status, fetched = stack.http("POST", "/user/alice/assignments/fetch", form=form, timeout=60)
    assert status == 200 and fetched["success"], fetched
    stack.exec(f"{STACK}-alice", "test", "-s", f"/home/alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    status, submitted = stack.http("POST", "/user/alice/assignments/submit", form=form, timeout=60)
    assert status == 200 and submitted["success"], submitted

    as_grader(f"nbgrader collect {ASSIGNMENT} --course={COURSE}")
    stack.exec(formgrader, "test", "-s", f"{root}/submitted/alice/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
