"""A real local JupyterHub whose students' servers may be SLURM jobs (the profiles of
dlgrade/hub/slurmspawner.py), driven through its REST API, and the squeue views the tests
check it against. Shared by the CPU-profile and the GPU-profile tests."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from dlgrade.hub.hub import CourseHub
from dlgrade.hub.profiles import ClusterProfiles, resolve
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import HubSettings, plan
from dlgrade.hub.users import lookup, processes_of
from tests.conftest import FIXTURE_COURSE

ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING"}
ADMIN_SERVICE = """
c.JupyterHub.services.append({{"name": "spawner-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{
    "name": "spawner-test",
    "services": ["spawner-test"],
    "scopes": ["admin:users", "admin:servers", "access:servers"],
}})
"""
_OPTION = re.compile(r"<option\b[^>]*\bvalue=[\"']([^\"']*)[\"'][^>]*>([^<]*)</option>", re.I)


@dataclass
class ClusterHub:
    hub: CourseHub
    token: str
    students: list[str]

    @property
    def url(self) -> str:
        return self.hub.plan.url

    @property
    def job_name(self) -> str:
        return self.hub.plan.cluster.job_name

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/hub/api{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def server(self, user: str) -> dict | None:
        status, text = self.api("GET", f"/users/{user}")
        assert status == 200, text
        return json.loads(text)["servers"].get("")

    def wait_server(self, user: str, ready: bool, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.server(user)
            if bool(server and server["ready"]) if ready else server is None:
                return server
            time.sleep(1)
        raise AssertionError(
            f"{user}'s server never became {'ready' if ready else 'stopped'}:\n"
            + self.hub.log_tail(60)
        )

    def progress(self, user: str, timeout: float) -> list[dict]:
        """Every progress event of `user`'s spawn until it is ready or failed."""
        request = urllib.request.Request(
            f"{self.url}/hub/api/users/{user}/server/progress",
            headers={"Authorization": f"token {self.token}"},
        )
        events = []
        with urllib.request.urlopen(request, timeout=timeout) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        break
        return events

    def offered_profiles(self, user: str) -> dict[str, str]:
        """key → label of the profiles on the spawn page `user` gets after logging in with
        their password, as in a browser."""
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with opener.open(f"{self.url}/hub/login", timeout=60) as response:
            xsrf = re.search(r'name="_xsrf" value="([^"]+)"', response.read().decode())
        assert xsrf, "the login page has no _xsrf field"
        form = {"username": user, "password": self.hub.passwords()[user], "_xsrf": xsrf[1]}
        opener.open(f"{self.url}/hub/login", urllib.parse.urlencode(form).encode(), timeout=60)
        with opener.open(f"{self.url}/hub/spawn", timeout=60) as response:
            page = response.read().decode()
        return {key: html.unescape(label).strip() for key, label in _OPTION.findall(page)}

    def start_cluster_server(self, user: str, profile: str, timeout: float = 150) -> str:
        """Spawn `user`'s server with a cluster `profile` through the REST API; once the hub
        says it is ready, it is `user`'s RUNNING job that the hub recorded. Its job id."""
        status, text = self.api("POST", f"/users/{user}/server", {"profile": profile})
        assert status in (201, 202), text
        server = self.wait_server(user, ready=True, timeout=timeout)
        job_id, name, owner, state, _ = wait_job(user, self.job_name, {"RUNNING"}, timeout=10)
        assert (name, owner, state) == (self.job_name, user, "RUNNING")
        assert server["state"]["child_state"]["job_id"] == job_id
        return job_id

    def reach(self, user: str) -> None:
        """`user`'s server answers through the hub's proxy."""
        request = urllib.request.Request(
            f"{self.url}/user/{user}/api/status", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert "last_activity" in json.loads(response.read())

    def cancelled_while_pending(self, user: str, profile: str, timeout: float) -> str:
        """Spawn `user`'s server with `profile` while its job cannot start: the spawn fails
        with a message naming the job and SLURM's reason, and the job is cancelled. The
        message."""
        status, text = self.api("POST", f"/users/{user}/server", {"profile": profile})
        assert status in (201, 202), text
        job_id = wait_job(user, self.job_name, {"PENDING"}, timeout=30)[0]
        events = self.progress(user, timeout=timeout + 60)
        messages = [e.get("message", "") for e in events]
        assert any(f"job {job_id} is PENDING" in m for m in messages), messages
        assert events[-1].get("failed"), events
        assert f"job {job_id} is PENDING" in messages[-1] and "cancelled" in messages[-1], messages
        assert not [r for r in jobs_of(user, self.job_name) if r[3] in ACTIVE]
        return messages[-1]

    def stop_cluster_server(self, user: str, job_id: str, ends: set[str]) -> None:
        """Stop `user`'s server through the REST API: its job `job_id` ends in `ends`."""
        status, text = self.api("DELETE", f"/users/{user}/server")
        assert status in (202, 204), text
        self.wait_server(user, ready=False, timeout=60)
        assert wait_job(user, self.job_name, ends, timeout=30)[0] == job_id


def squeue(*args: str) -> list[list[str]]:
    proc = subprocess.run(
        ["squeue", "--noheader", "--format=%i|%j|%u|%T|%r", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return [line.split("|") for line in proc.stdout.splitlines() if line.strip()]


def jobs_of(user: str, job_name: str) -> list[list[str]]:
    return squeue(f"--user={user}", f"--name={job_name}", "--states=all")


def wait_job(user: str, job_name: str, states: set[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    rows: list[list[str]] = []
    while time.monotonic() < deadline:
        rows = [r for r in jobs_of(user, job_name) if r[3] in states]
        if rows:
            return rows[-1]
        time.sleep(0.5)
    raise AssertionError(f"no job of {user} in {states}: {jobs_of(user, job_name)}")


def server_token(user: str) -> str:
    """The API token the hub gave `user`'s running server (read from its environment)."""
    for pid in processes_of(lookup(user).pw_uid):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for entry in environ:
            if entry.startswith(b"JUPYTERHUB_API_TOKEN="):
                return entry.split(b"=", 1)[1].decode()
    raise AssertionError(f"no process of {user} holds a hub token")


def node_cpus() -> int:
    out = subprocess.run(
        ["sinfo", "--noheader", "--Node", "--format=%c"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return int(out.split()[0])


@contextmanager
def running_hub(
    prefix: str, students: list[str], profiles: ClusterProfiles
) -> Iterator[ClusterHub]:
    """A started hub for a throwaway course with one instructor and `students` (names
    after a random tag), offering the cluster `profiles` that `sinfo` allows now, and an
    admin service token; accounts, homes, state and jobs are removed after."""
    if os.geteuid() != 0:
        pytest.fail("the hub tests create Unix accounts: run them as root (make slurm-test)")
    tag = f"{prefix}{secrets.token_hex(3)}"
    state = Path(tempfile.mkdtemp(prefix=f"dlgrade-{tag}-"))
    state.chmod(0o755)
    names = [f"{tag}-{name}" for name in students]
    members = [Member(f"{tag}-prof", "instructor", "Prof", "Slurm")]
    members += [Member(name, "student", name.split("-")[1].title(), "Slurm") for name in names]
    settings = HubSettings(port=0, state_dir=str(state), tag=tag, start_timeout=150)
    hub = CourseHub(plan(settings, tag, resolve(profiles, tag)), members, FIXTURE_COURSE, ["hello"])
    proxy = hub.plan.bin / "configurable-http-proxy"
    if not proxy.exists():
        pytest.fail(f"{proxy} is missing: run `bash scripts/hub-deps.sh` (make slurm-test does)")
    token = secrets.token_hex(32)
    try:
        hub.provision()
        with hub.plan.config_file.open("a", encoding="utf-8") as config:
            config.write(ADMIN_SERVICE.format(token=token))
        hub.start()
        yield ClusterHub(hub, token, names)
    finally:
        hub.teardown()
