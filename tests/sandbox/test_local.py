"""The local backend: what a sandbox can and cannot see, cold and forked alike."""

from __future__ import annotations

import os
import socket
import time

import pytest
import torch

from dlgrade.sandbox.backends.local import LocalSandbox, descendants
from tests.conftest import REPO
from tests.probe import call, get, probe_session

PROBE = """
import os, socket
facts = {{}}
facts["uid"] = os.getuid()
facts["sees_repo_graders"] = os.path.exists({graders!r})
facts["sees_root_home"] = bool(os.path.isdir("/root") and os.listdir("/root"))
facts["cwd_writable"] = os.access(".", os.W_OK)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    facts["network"] = True
except OSError:
    facts["network"] = False
facts["tmp_empty"] = sorted(os.listdir("/tmp")) in ([], ["sandbox"])
def double(x):
    return 2 * x
"""


@pytest.fixture(params=[True, False], ids=["prefork", "cold"])
def backend(request):
    b = LocalSandbox(prefork=request.param)
    yield b
    b.close()


@pytest.mark.slow
def test_sandbox_sees_no_course_no_network_no_root(backend):
    """Is the sandbox unprivileged, offline, and blind to the repo and home folders?"""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    code = PROBE.format(graders=str(REPO / "graders"), port=listener.getsockname()[1])
    session = probe_session(backend, code)
    try:
        facts = get(session, "facts")
        out = call(session, "double", torch.ones(2))
    finally:
        session.close()
        listener.close()
    assert facts["network"] is False and facts["sees_repo_graders"] is False
    assert facts["sees_root_home"] is False and facts["cwd_writable"] is True
    if os.geteuid() == 0:
        assert facts["uid"] != 0
    assert torch.equal(out, torch.full((2,), 2.0))


def _ps(pids: set[int]) -> list[str]:
    """`pid state command` of each process, for a failure message."""
    out = []
    for pid in sorted(pids):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                out.append(" ".join(fh.read().split()[:3]))
        except OSError:
            out.append(f"{pid} gone")
    return out


@pytest.mark.slow
def test_forked_sandboxes_do_not_share_files():
    """Does a file written by one forked sandbox stay invisible to the next one?"""
    backend = LocalSandbox(prefork=True)
    try:
        first = probe_session(
            backend,
            "open('/tmp/sandbox/note.txt', 'w').write('secret')\n"
            "open('/tmp/other.txt', 'w').write('secret')\n"
            "import os\n"
            "if os.path.isdir('/dev/shm'):\n"
            "    open('/dev/shm/note', 'w').write('secret')\n"
            # outlive the sandbox: no parent-death signal, a sleeping thread, no exit
            "import ctypes, threading, time\n"
            "ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)\n"
            "threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
            "os._exit = lambda code=0: time.sleep(600)",
        )
        first.ensure_started()
        first.close()
        second = probe_session(
            backend,
            "import os\nleft = [os.path.exists('/tmp/sandbox/note.txt'), "
            "os.path.exists('/tmp/other.txt'), os.path.exists('/dev/shm/note'), "
            "sorted(p for p in os.listdir('/proc') if p.isdigit())]",
        )
        assert get(second, "left") == [False, False, False, ["1"]]
        # the first sandbox's leftover went when the second started: below the template
        # run only the second sandbox (pid 1 of its namespace) and its parent
        zygote = backend._zygotes[0]
        deadline = time.monotonic() + 30
        while len(left := descendants(zygote.popen.pid) - zygote.own_pids) > 2:
            assert time.monotonic() < deadline, f"an earlier sandbox left a process: {_ps(left)}"
            time.sleep(0.1)  # killed processes are reaped asynchronously
        second.close()
    finally:
        backend.close()


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="sandbox uids are only switched as root")
def test_concurrent_batches_get_different_uids(tmp_path):
    """Do two batches grading at once (two backends, both with a slot 0) run their sandboxes
    under different uids, and is a uid free again once its batch is done?"""
    first = LocalSandbox(uid_lock_dir=str(tmp_path), sandbox_uid_count=2)
    second = LocalSandbox(uid_lock_dir=str(tmp_path), sandbox_uid_count=2)
    third = LocalSandbox(uid_lock_dir=str(tmp_path), sandbox_uid_count=2)
    try:
        uids = []
        for b in (first, second):
            session = probe_session(b, "import os\nuid = os.getuid()")
            try:
                uids.append(get(session, "uid"))
            finally:
                session.close()
        assert uids[0] != uids[1] and all(u >= first.sandbox_uid_base for u in uids)
        with pytest.raises(RuntimeError, match="in use by other batches"):
            third._uid(0)
        first.close()
        assert third._uid(0) == uids[0]
    finally:
        for b in (first, second, third):
            b.close()


@pytest.mark.slow
def test_a_sandbox_that_stops_reading_cannot_hold_the_grader():
    """Does a request the sandbox never reads (it replaced the protocol's frame reader)
    end as a timeout at the request's deadline, instead of blocking the grader's write?"""
    from dlgrade.sandbox.protocol import Ref
    from dlgrade.sandbox.session import SandboxTimeout

    code = (
        "import time\nimport dlgrade.sandbox.protocol as P\n"
        "def _stall(stream):\n    while True:\n        time.sleep(1000)\n"
        "P.read_frame = _stall\ndef double(x):\n    return 2 * x\n"
    )
    backend = LocalSandbox()
    session = probe_session(backend, code)
    try:
        session.ensure_started()
        big = torch.zeros(2**20)  # 4 MiB: far beyond a pipe's buffer
        request = {"target": Ref("ns", ("double",)), "args": [big], "kwargs": {}}
        started = time.monotonic()
        with pytest.raises(SandboxTimeout):
            session.request("call", request, 0, time.monotonic() + 3)
        assert time.monotonic() - started < 30
    finally:
        session.close()
        backend.close()


def test_a_slow_boot_is_not_charged_to_the_first_cell():
    """A sandbox held up while booting (a busy machine, simulated by stopping its
    processes for 4 s) still runs its first cell, whose own limit is 2 s; a boot past
    the start limit is recorded as a sandbox that did not start, the cell as not run."""
    import signal
    import threading

    from dlgrade.sandbox.session import SandboxUnavailable

    class Stalled(LocalSandbox):
        def launch(self, job):
            proc = super().launch(job)
            threading.Thread(target=self.stall, args=(proc.popen.pid,), daemon=True).start()
            return proc

        @staticmethod
        def stall(pid: int, seconds: float = 4.0) -> None:
            stopped: set[int] = set()
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                for p in {pid} | descendants(pid):
                    try:
                        os.kill(p, signal.SIGSTOP)
                        stopped.add(p)
                    except ProcessLookupError:
                        pass
                time.sleep(0.02)
            for p in stopped:
                try:
                    os.kill(p, signal.SIGCONT)
                except ProcessLookupError:
                    pass

    backend = Stalled(prefork=False)
    try:
        session = probe_session(backend, "answer = 41 + 1\n", cell_limit=2)
        try:
            assert get(session, "answer") == 42
        finally:
            session.close()
        assert session.records[0].status == "ok"

        session = probe_session(backend, "answer = 42\n", cell_limit=2)
        session.settings.start_time_limit = 1.5
        with pytest.raises(SandboxUnavailable):
            session.ensure_started()
        session.close()
        assert session.records[0].status == "not run"
        assert "the sandbox timeout while starting" in session.events
    finally:
        backend.close()
