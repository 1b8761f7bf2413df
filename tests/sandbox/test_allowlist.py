"""The trust boundary as an allow-list (issue 12): a sandbox reaches nothing of the host it
was not meant to, its tmpfs mounts are capped and counted inside its memory limit, and a
launch that would expose a hidden path is refused. Every backend is held to the same
checks (the docker cases run in `make docker-test`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from dlgrade.notebook import CodeCell
from dlgrade.sandbox.backends.allowlist import Allowlist, closed_to_others
from dlgrade.sandbox.backends.base import SandboxJob
from dlgrade.sandbox.backends.docker import DockerSandbox
from dlgrade.sandbox.backends.local import LocalSandbox
from dlgrade.sandbox.session import SandboxSession, SandboxUnavailable, SessionSettings
from dlgrade.sandbox.zygote import runtime_paths
from tests.conftest import REPO, WORK
from tests.docker.conftest import IMAGE, docker_ready  # noqa: F401  (fixture, docker cases)
from tests.probe import call, get

MiB = 2**20
TMP_MB, SHM_MB, MEMORY_MB = 64, 32, 1024
KINDS = [
    pytest.param("prefork", marks=pytest.mark.slow),
    pytest.param("cold", marks=pytest.mark.slow),
    pytest.param("docker", marks=pytest.mark.docker),
]


def marker_places() -> dict[str, str]:
    """Host folders to plant a marker in (each inside a fresh mkdtemp folder there)."""
    places = {
        "top_level": "/",  # a new top-level folder such as /srv2-…: no deny-list names it
        "beside_checkout": str(REPO.parent),  # a copy of the course, a second course
        "checkout": str(REPO),  # beside the venv and the package, never bound itself
        "build": str(REPO / "build"),
        "test_courses": str(WORK),
        "etc": "/etc",
        "home": "/home",
        "root": "/root",
        "srv": "/srv",
        "opt": "/opt",
        "var": "/var",
        "var_tmp": "/var/tmp",
        "tmp": "/tmp",
        "dev_shm": "/dev/shm",
        "mnt": "/mnt",
        "run": "/run",
        "media": "/media",
    }
    return {label: path for label, path in places.items() if os.path.isdir(path)}


@contextlib.contextmanager
def planted(token: str) -> Iterator[dict[str, str]]:
    """A readable marker file named after `token` in each of `marker_places()`, plus a
    hidden course root (source, graders, gradebook); yields label -> file. Removes exactly
    the mkdtemp folders it made, nothing else."""
    WORK.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    files: dict[str, str] = {}
    try:
        for label, parent in marker_places().items():
            prefix = "srv2-" if parent == "/" else "dlgrade-marker-"
            try:
                folder = tempfile.mkdtemp(prefix=prefix, dir=parent)
            except OSError:
                continue
            made.append(folder)
            os.chmod(folder, 0o755)
            path = os.path.join(folder, f"secret-{token}.txt")
            Path(path).write_text(f"answer key {token}\n")
            os.chmod(path, 0o644)
            files[label] = path
        course = tempfile.mkdtemp(prefix="dlgrade-hidden-course-", dir=WORK)
        made.append(course)
        os.chmod(course, 0o755)
        for part in ("source/hello", "graders/hello"):
            os.makedirs(os.path.join(course, part), mode=0o755)
        for label, rel in (
            ("course_source", "source/hello/hello.ipynb"),
            ("course_grader", "graders/hello/test_hello.py"),
            ("course_gradebook", "gradebook.db"),
        ):
            path = os.path.join(course, rel.replace("hello.", f"secret-{token}."))
            Path(path).write_text(f"answer key {token}\n")
            os.chmod(path, 0o644)
            files[label] = path
        files["course_root"] = course
        yield files
    finally:
        for folder in made:  # only the mkdtemp folders made above
            shutil.rmtree(folder, ignore_errors=True)


PROBE = """
import os, torch
TARGETS = {targets!r}
TOKEN = {token!r}
PRUNE = {prune!r}
seen = {{}}
for label, path in TARGETS.items():
    got = []
    if os.path.lexists(path):
        got.append("exists")
    try:
        open(path).read()
        got.append("open")
    except OSError:
        pass
    try:
        os.listdir(os.path.dirname(path))
        got.append("list")
    except OSError:
        pass
    if got:
        seen[label] = got
found = []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in PRUNE]
    found += [os.path.join(root, f) for f in files + dirs if TOKEN in f]
listed = {{p: sorted(os.listdir(p)) for p in {listed!r} if os.path.isdir(p)}}
x = torch.arange(6.0).reshape(2, 3)
def double(t):
    return 2 * t
"""

FILL = """
import errno, os, resource
def fill(folder, limit):
    written, err, i = 0, None, 0
    chunk = b"x" * 2**20
    while written < limit and err is None:
        try:
            with open(os.path.join(folder, f"fill-{{i}}"), "wb") as fh:
                for _ in range(16):
                    fh.write(chunk)
                    written += len(chunk)
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
        i += 1
    return written, err
tmp = fill("/tmp", {tmp_try})
shm = fill("/dev/shm", {shm_try})
address_space = resource.getrlimit(resource.RLIMIT_AS)[0]
def cgroup_memory():
    for p in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            return int(open(p).read())
        except (OSError, ValueError):
            pass
    return None
memory_max = cgroup_memory()
"""


def make_backend(kind: str, **traits):
    limits = {"memory_limit_mb": MEMORY_MB, "tmpfs_limit_mb": TMP_MB, "shm_limit_mb": SHM_MB}
    limits.update(traits)
    if kind == "docker":
        return DockerSandbox(image=IMAGE, **limits)
    return LocalSandbox(prefork=kind == "prefork", **limits)


@pytest.fixture(params=KINDS)
def kind(request) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_ready")
    return request.param


def session_for(backend, code: str, hide: tuple[str, ...] = ()) -> SandboxSession:
    job = SandboxJob(slot=0, label="allowlist", hide=(str(REPO), *hide))
    settings = SessionSettings(cell_time_limit=90, notebook_time_limit=150, max_restarts=0)
    return SandboxSession(backend, job, [CodeCell(0, code)], "", settings)


def probe_hidden(backend, files: dict[str, str], token: str) -> dict:
    """Run the marker probe in `backend`; what it saw of the markers and the tree."""
    course = files["course_root"]
    targets = {k: v for k, v in files.items() if k != "course_root"}
    runtime = [p for p in runtime_paths() if not p.startswith("/usr")]
    prune = ["/proc", "/sys", "/usr", "/dev/pts", *runtime]
    listed = ["/", "/etc", "/tmp", *ancestors(runtime)]
    code = PROBE.format(targets=targets, token=token, prune=prune, listed=listed)
    session = session_for(backend, code, hide=(course,))
    try:
        facts = {name: get(session, name) for name in ("seen", "found", "listed", "x")}
        facts["double"] = call(session, "double", torch.ones(3))
    finally:
        session.close()
    facts["cell"] = session.records[0].status
    return facts


def ancestors(paths: list[str]) -> dict[str, set[str]]:
    """Each folder above `paths` (but /) -> the names below it that lead to one of them."""
    out: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(path).parts
        for depth in range(2, len(parts)):
            out.setdefault(str(Path(*parts[:depth])), set()).add(parts[depth])
    return out


def test_no_host_marker_is_reachable(kind):
    """Are markers planted all over the host (a new top-level folder, beside the checkout,
    /etc, /srv, /opt, /var, /home, /root, /tmp, /dev/shm, a hidden course root ...) out of
    reach of every sandbox, with torch and a notebook cell working? Two rounds: with
    prefork, the second sandbox is forked from a warm template."""
    token = uuid.uuid4().hex
    backend = make_backend(kind)
    try:
        with planted(token) as files:
            assert len(files) >= 14, sorted(files)
            results = [probe_hidden(backend, files, token) for _ in range(2)]
    finally:
        backend.close()
    for facts in results:
        assert facts["cell"] == "ok"
        assert facts["seen"] == {}, facts["seen"]
        assert facts["found"] == [], facts["found"]
        assert torch.equal(facts["x"], torch.arange(6.0).reshape(2, 3))
        assert torch.equal(facts["double"], torch.full((3,), 2.0))
    if kind == "docker":
        return
    runtime = [p for p in runtime_paths() if not p.startswith("/usr")]
    expected_top = {"bin", "sbin", "lib", "lib32", "lib64", "usr", "etc", "dev", "proc", "tmp"}
    expected_top |= {Path(p).parts[1] for p in runtime}
    etc = {
        os.path.basename(p)
        for p in Allowlist(runtime_paths(), backend.etc_files, 1, 1)._etc_entries()
    }
    for facts in results:
        listed = facts["listed"]
        assert set(listed["/"]) <= expected_top, listed["/"]
        assert set(listed["/etc"]) == etc | {"passwd", "group"}, listed["/etc"]
        # a checkout (its venv and package) living under /tmp is bound there too
        under_tmp = {Path(p).parts[2] for p in runtime if Path(p).parts[1:2] == ("tmp",)}
        assert set(listed["/tmp"]) == {"sandbox"} | under_tmp, listed["/tmp"]
        for folder, leads in ancestors(runtime).items():  # never a runtime folder's parent
            leads = leads | {"sandbox"} if folder == "/tmp" else leads
            assert set(listed[folder]) <= leads, (folder, listed[folder])


def host_shmem() -> int:
    """Shared memory (tmpfs pages) in use on this machine, bytes."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no Shmem line in /proc/meminfo")


def test_tmpfs_mounts_are_capped_and_counted_in_memory(kind):
    """Does writing past /tmp's and /dev/shm's caps end in ENOSPC at the caps, does the
    host's shared memory grow by no more than the caps while the sandbox holds them full,
    and do the processes get only what the tmpfs mounts leave of the memory limit?"""
    extra = 32 * MiB  # the old, unsized mounts took all of it without complaint
    code = FILL.format(tmp_try=TMP_MB * MiB + extra, shm_try=SHM_MB * MiB + extra)
    backend = make_backend(kind)
    before = host_shmem()
    session = session_for(backend, code)
    try:
        facts = {n: get(session, n) for n in ("tmp", "shm", "address_space", "memory_max")}
        during = host_shmem()
    finally:
        session.close()
        backend.close()
    for (written, err), cap in ((facts["tmp"], TMP_MB), (facts["shm"], SHM_MB)):
        assert err == "ENOSPC", (written, err)
        assert (cap - 17) * MiB <= written <= cap * MiB + MiB, (written, cap)
    noise = 64 * MiB  # other processes of this machine
    assert during - before <= (TMP_MB + SHM_MB) * MiB + noise, (before, during)
    if kind == "docker":
        if facts["memory_max"] is not None:
            assert facts["memory_max"] == MEMORY_MB * MiB
    else:
        assert facts["address_space"] == (MEMORY_MB - TMP_MB - SHM_MB) * MiB


def test_a_config_without_room_for_processes_is_refused(kind):
    """memory_limit_mb must leave at least 512 MiB beside the tmpfs mounts: anything less
    is refused at launch, recorded in the session's events, and never started."""
    backend = make_backend(kind, memory_limit_mb=800, tmpfs_limit_mb=256, shm_limit_mb=64)
    with pytest.raises(ValueError, match="leaves 480 MiB"):
        backend.address_space_mb()
    session = session_for(backend, "x = 1")
    try:
        with pytest.raises(SandboxUnavailable):
            session.ensure_started()
    finally:
        session.close()
        backend.close()
    assert any("memory_limit_mb=800" in e for e in session.events), session.events
    assert make_backend(kind).address_space_mb() == MEMORY_MB - TMP_MB - SHM_MB


@pytest.mark.parametrize("prefork", [True, False], ids=["prefork", "cold"])
def test_a_launch_that_would_expose_a_hidden_path_is_refused(prefork):
    """A hidden path inside something the allow-list binds (the venv, /usr, a bound /etc
    entry) stops the launch with a RuntimeError; a hidden folder that merely contains a
    bound one (the checkout holding .venv and dlgrade/) is fine."""
    backend = LocalSandbox(prefork=prefork)
    try:
        for hidden in (os.path.join(sys.prefix, "lib"), "/usr/share", "/etc/ld.so.conf.d"):
            job = SandboxJob(slot=0, label="exposed", hide=(str(REPO), hidden))
            with pytest.raises(RuntimeError, match="must stay hidden"):
                backend.launch(job)
    finally:
        backend.close()
    allow = Allowlist(runtime_paths(), ["ld.so.cache"], 1, 1)
    allow.refuse_exposed([str(REPO), str(REPO / "graders"), "/etc/shadow", "/srv"])
    with pytest.raises(ValueError):
        Allowlist(runtime_paths(), ["../shadow"], 1, 1).sources()


def test_a_folder_closed_to_other_users_is_named():
    """Does the check name the folder that keeps the sandbox uid from its interpreter?"""
    WORK.mkdir(parents=True, exist_ok=True)
    base = tempfile.mkdtemp(prefix="dlgrade-perms-", dir=WORK)
    try:
        inner = Path(base, "course", ".venv")
        inner.mkdir(parents=True)
        os.chmod(base, 0o755)
        above = closed_to_others(str(WORK))
        assert closed_to_others(str(inner)) == above
        os.chmod(Path(base, "course"), 0o700)
        assert closed_to_others(str(inner)) == (above or str(Path(base, "course")))
    finally:
        shutil.rmtree(base, ignore_errors=True)  # the mkdtemp folder made above


def test_docker_refuses_a_mount_that_holds_a_hidden_path():
    """The docker backend mounts nothing of the host; a bind mount added through
    extra_run_args that holds a hidden path is refused before any container starts."""
    for extra in (["-v", f"{REPO.parent}:/data:ro"], [f"--mount=type=bind,src={REPO},dst=/r"]):
        backend = DockerSandbox(extra_run_args=extra)
        job = SandboxJob(slot=0, label="exposed", hide=(str(REPO / "graders"),))
        with pytest.raises(RuntimeError, match="must stay hidden"):
            backend.launch(job)
