"""The docker backend: what a grading container can and cannot do."""

from __future__ import annotations

import os
import socket
import tempfile
import time

import pytest
import torch

from dlgrade.sandbox.backends.base import SandboxJob
from tests.conftest import REPO
from tests.docker.conftest import owned_containers
from tests.probe import call, get, probe_session

pytestmark = pytest.mark.docker

PROBE = """
import json, os, socket
facts = {{}}
facts["uid"] = os.getuid()
facts["cwd"] = os.getcwd()
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
facts["cap_eff"] = int(status["CapEff"].strip(), 16)
facts["no_new_privs"] = status.get("NoNewPrivs", "").strip()
facts["sees_repo"] = os.path.exists({repo!r})
facts["sees_host_secret"] = os.path.exists({secret!r})
try:
    facts["sees_root_home"] = bool(os.listdir("/root"))
except OSError:
    facts["sees_root_home"] = False
facts["interfaces"] = sorted(
    line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]
)
def reach(host, port):
    try:
        socket.create_connection((host, port), timeout=3).close()
        return True
    except OSError:
        return False
facts["network"] = {{h: reach(h, p) for h, p in {targets!r}}}
def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        os.remove(path)
        return True
    except OSError:
        return False
facts["write_root"] = writable("/owned.txt")
facts["write_etc"] = writable("/etc/owned.txt")
facts["write_venv"] = writable(os.path.join(os.path.dirname(os.__file__), "owned.py"))
facts["write_scratch"] = writable("/sandbox/ok.txt")
facts["write_tmp"] = writable("/tmp/ok.txt")
def first(*paths):
    for p in paths:
        try:
            return open(p).read().strip()
        except OSError:
            pass
    return None
facts["pids_max"] = first("/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/pids.max")
facts["memory_max"] = first(
    "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory.max"
)
def double(x):
    return 2 * x
"""


def test_container_is_offline_read_only_unprivileged_and_blind(docker_backend):
    """No network (not even the host), read-only root, no capabilities, non-root, no host files."""
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    with tempfile.NamedTemporaryFile("w", prefix="dlgrade-secret-", delete=False) as secret:
        secret.write("answer key")
    # only this machine's own addresses: the host on Docker's default bridge, and loopback
    targets = [("172.17.0.1", port), ("127.0.0.1", port)]
    code = PROBE.format(repo=str(REPO / "graders"), secret=secret.name, targets=targets)
    session = probe_session(docker_backend, code)
    try:
        facts = get(session, "facts")
        out = call(session, "double", torch.ones(2))
    finally:
        session.close()
        listener.close()
        os.unlink(secret.name)
    assert not any(facts["network"].values()), facts["network"]
    assert facts["interfaces"] == ["lo"], facts["interfaces"]
    assert facts["uid"] != 0 and facts["cap_eff"] == 0 and facts["no_new_privs"] == "1"
    assert not facts["sees_repo"] and not facts["sees_host_secret"]
    assert not facts["sees_root_home"]
    assert not facts["write_root"] and not facts["write_etc"] and not facts["write_venv"]
    assert facts["write_scratch"] and facts["write_tmp"] and facts["cwd"] == "/sandbox"
    if facts["pids_max"] is not None:
        assert facts["pids_max"] == str(docker_backend.max_processes)
    if facts["memory_max"] is not None:
        assert int(facts["memory_max"]) == docker_backend.memory_limit_mb * 2**20
    assert torch.equal(out, torch.full((2,), 2.0))
    assert owned_containers(docker_backend) == []


def test_containers_do_not_share_files(docker_backend):
    """Does a file one submission writes stay invisible to the next submission?"""
    first = probe_session(
        docker_backend,
        "open('/sandbox/note.txt', 'w').write('secret')\nopen('/tmp/note.txt', 'w').write('x')\n"
        "done = True\n",
    )
    try:
        assert get(first, "done") is True
    finally:
        first.close()
    second = probe_session(
        docker_backend,
        "import os\nseen = [p for p in ('/sandbox/note.txt', '/tmp/note.txt') if os.path.exists(p)]\n",
    )
    try:
        assert get(second, "seen") == []
    finally:
        second.close()


def test_hung_cell_is_killed_from_outside_at_the_deadline(docker_backend):
    """A cell that ignores signals and never ends: timed out, and its container removed."""
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "while True:\n    time.sleep(0.05)\n"
    )
    session = probe_session(docker_backend, code, cell_limit=3)
    started = time.monotonic()
    try:
        session.ensure_started()
    except Exception:  # noqa: BLE001  (SandboxUnavailable after the restarts is fine)
        pass
    finally:
        session.close()
    elapsed = time.monotonic() - started
    assert session.records[0].status == "timeout"
    assert elapsed < 40, elapsed
    assert owned_containers(docker_backend) == []


def test_memory_bomb_crashes_only_its_container(docker_backend):
    """Allocating past the memory limit gets the container OOM-killed: a crashed cell."""
    docker_backend.memory_limit_mb = 640  # the least that leaves 512 MiB beside the tmpfs
    docker_backend.tmpfs_limit_mb = docker_backend.shm_limit_mb = 64
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(32 * 2**20))\n"
    session = probe_session(docker_backend, code)
    try:
        session.ensure_started()
    except Exception:  # noqa: BLE001
        pass
    finally:
        session.close()
    assert session.records[0].status == "crashed"
    assert owned_containers(docker_backend) == []


def test_run_command_carries_every_limit(docker_backend):
    """The docker run line: the flags the issue asks for, and a GPU only when allowed."""
    job = SandboxJob(slot=3, label="attention-alice", use_gpu=True)
    cmd = docker_backend.run_command(job, "x")
    line = " ".join(cmd)
    for flag in (
        "--network none",
        "--read-only",
        "--cap-drop ALL",
        "--security-opt no-new-privileges",
        "--pids-limit",
        "--memory 1024m",
        "--memory-swap 1024m",
        "--cpus",
        "--tmpfs /sandbox:",
        f"/tmp:rw,nosuid,nodev,mode=1777,size={docker_backend.tmpfs_limit_mb}m",
        f"--shm-size {docker_backend.shm_limit_mb}m",
        "--user 61000:61000",
        "--pull never",
    ):
        assert flag in line, flag
    assert "--gpus" not in cmd
    docker_backend.allow_gpu = True
    docker_backend.gpu_devices = ["0", "1"]
    cmd = docker_backend.run_command(job, "x")
    assert cmd[cmd.index("--gpus") + 1] == "device=1"
    docker_backend.memory_limit_mb = 800  # 480 MiB beside 256 + 64 of tmpfs: refused
    with pytest.raises(ValueError, match="leaves 480 MiB"):
        docker_backend.run_command(job, "x")
