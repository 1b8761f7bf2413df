"""Students' servers as SLURM jobs through a real local hub (issue 16): spawned through the
hub's REST API with the "cluster CPU" profile, reached through the hub, listed by squeue,
cancelled when stopped; a job that stays pending is cancelled with a message naming it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dlgrade.hub.hub import CourseHub
from dlgrade.hub.profiles import CPU_PROFILE, ClusterProfiles, resolve
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import HubSettings, plan
from dlgrade.hub.users import lookup, processes_of
from tests.conftest import FIXTURE_COURSE

pytestmark = pytest.mark.slurm

PENDING_TIMEOUT = 45
ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING"}
ADMIN_SERVICE = """
c.JupyterHub.services.append({{"name": "spawner-test", "api_token": {token!r}}})
c.JupyterHub.load_roles.append({{
    "name": "spawner-test",
    "services": ["spawner-test"],
    "scopes": ["admin:users", "admin:servers", "access:servers"],
}})
"""


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


@pytest.fixture(scope="module")
def cluster_hub(slurm_cluster) -> Iterator[ClusterHub]:
    """A hub for a throwaway course whose CPU profile takes a whole node, so that a second
    student's server job has to wait; accounts, homes, state and jobs are removed after."""
    if os.geteuid() != 0:
        pytest.fail("the spawner test creates Unix accounts: run it as root (make slurm-test)")
    tag = f"sp{secrets.token_hex(3)}"
    state = Path(tempfile.mkdtemp(prefix=f"dlgrade-{tag}-"))
    state.chmod(0o755)
    students = [f"{tag}-alice", f"{tag}-bob"]
    members = [Member(f"{tag}-prof", "instructor", "Prof", "Slurm")]
    members += [Member(name, "student", name.split("-")[1].title(), "Slurm") for name in students]
    profiles = ClusterProfiles(
        enabled="yes", cpus=node_cpus(), mem="1G", time="0:10:00", pending_timeout=PENDING_TIMEOUT
    )
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
        yield ClusterHub(hub, token, students)
    finally:
        hub.teardown()


def test_cluster_server_through_the_hub(cluster_hub: ClusterHub):
    """Does no profile mean the hub machine; is a "cluster CPU" server a SLURM job of the
    student, reachable through the hub, refused any resources but its profile's, and
    cancelled when stopped; does a job that cannot start end with a message naming it, and
    is it cancelled?"""
    h = cluster_hub
    alice, bob = h.students
    for options in ({"profile": CPU_PROFILE, "gres": "gpu:8"}, {"profile": "cluster-huge"}):
        status, text = h.api("POST", f"/users/{alice}/server", options)
        assert status == 400, (options, status, text)
        assert not jobs_of(alice, h.job_name)

    status, text = h.api("POST", f"/users/{bob}/server")
    assert status in (201, 202), text
    assert h.wait_server(bob, ready=True, timeout=120)["state"]["profile"] == ""
    assert not jobs_of(bob, h.job_name), "no profile means the hub machine, not a job"
    assert h.api("DELETE", f"/users/{bob}/server")[0] in (202, 204)
    h.wait_server(bob, ready=False, timeout=60)

    status, text = h.api("POST", f"/users/{alice}/server", {"profile": CPU_PROFILE})
    assert status in (201, 202), text
    server = h.wait_server(alice, ready=True, timeout=150)
    job_id, name, user, state, _ = wait_job(alice, h.job_name, {"RUNNING"}, timeout=10)
    assert (name, user, state) == (h.job_name, alice, "RUNNING")
    assert server["state"]["child_state"]["job_id"] == job_id

    request = urllib.request.Request(
        f"{h.url}/user/{alice}/api/status", headers={"Authorization": f"token {h.token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        assert "last_activity" in json.loads(response.read())

    # batchspawner's handler would set any attribute a job names (here: the root command
    # prefix of every later sbatch/squeue/scancel); the hub's takes one port while starting.
    evil = urllib.request.Request(
        f"{h.url}/hub/api/batchspawner",
        data=json.dumps({"child_config": {"exec_prefix": "touch /tmp/owned;"}}).encode(),
        method="POST",
        headers={"Authorization": f"token {server_token(alice)}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(evil, timeout=30)
    assert refused.value.code == 403

    status, text = h.api("POST", f"/users/{bob}/server", {"profile": CPU_PROFILE})
    assert status in (201, 202), text
    bob_job = wait_job(bob, h.job_name, {"PENDING"}, timeout=30)[0]
    events = h.progress(bob, timeout=PENDING_TIMEOUT + 60)
    messages = [e.get("message", "") for e in events]
    assert any(f"job {bob_job} is PENDING" in m for m in messages), messages
    assert events[-1].get("failed"), events
    assert f"job {bob_job} is PENDING" in messages[-1] and "cancelled" in messages[-1], messages
    assert not [r for r in jobs_of(bob, h.job_name) if r[3] in ACTIVE]

    status, text = h.api("DELETE", f"/users/{alice}/server")
    assert status in (202, 204), text
    h.wait_server(alice, ready=False, timeout=60)
    final = wait_job(alice, h.job_name, {"CANCELLED", "COMPLETED"}, timeout=30)
    assert final[0] == job_id
    for student in h.students:
        assert not [r for r in jobs_of(student, h.job_name) if r[3] in ACTIVE]
