"""The `docker` backend: one throwaway container per submission.

Each sandbox is ``docker run -i --rm`` of the grader image (``docker/grader``) running
``python -m dlgrade.sandbox.worker``; the protocol travels over the client's stdin and
stdout. The container gets no network, a read-only root filesystem, a tmpfs scratch
folder as its working directory and home, no capabilities, ``no-new-privileges``,
memory/CPU/process limits and a non-root user. Nothing from the host is mounted, so the
course, the gradebook and the exchange are out of reach by construction
(``base.BOUNDARY`` states what crosses, for both backends). ``kill()`` removes the
container through the engine (``docker rm -f``), whatever the worker does.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
import uuid

from traitlets import Float, Integer, List, Unicode

from dlgrade.sandbox.backends.allowlist import refuse_exposed
from dlgrade.sandbox.backends.base import (
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
)

SANDBOX_HOME = "/sandbox"
OWNER_LABEL = "dlgrade.sandbox.owner"


class DockerProcess(SandboxProcess):
    """A sandbox container, seen through its ``docker run -i`` client."""

    def __init__(self, popen: subprocess.Popen, name: str, docker: list[str], errors):
        super().__init__(popen.stdin.fileno(), popen.stdout.fileno())
        self.popen = popen
        self.name = name
        self.docker = docker
        self.errors = errors

    def poll(self) -> int | None:
        return self.popen.poll()

    def kill(self) -> None:
        _remove_containers(self.docker, [self.name])
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.errors.close()

    def client_errors(self) -> str:
        """What the docker client printed (image missing, engine down, bad flag)."""
        try:
            self.errors.seek(0)
            return self.errors.read().decode("utf-8", "replace")[-4000:]
        except (OSError, ValueError):
            return ""


def _remove_containers(docker: list[str], names: list[str]) -> None:
    if not names:
        return
    subprocess.run(
        [*docker, "rm", "--force", *names],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def mounted_sources(args: list[str]) -> list[str]:
    """Host paths that ``docker run`` arguments bind into the container (-v, --volume,
    --mount type=bind)."""
    found = []
    for flag, value in zip(args, args[1:]):
        if flag in ("-v", "--volume") and value.startswith("/"):
            found.append(value.split(":", 1)[0])
        elif flag == "--mount":
            fields = dict(f.partition("=")[::2] for f in value.split(","))
            source = fields.get("source") or fields.get("src")
            if fields.get("type", "volume") == "bind" and source:
                found.append(source)
    for arg in args:
        for flag in ("--volume=", "--mount="):
            if arg.startswith(flag):
                found += mounted_sources([flag[:-1], arg[len(flag) :]])
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", text).strip("-.")[:40] or "job"


class DockerSandbox(SandboxBackend):
    """Sandboxes as locked-down, network-less Docker containers of the grader image."""

    image = Unicode(
        "dlgrade-grader:latest",
        help="Image the sandboxes run (built by `make docker-build` from docker/grader). "
        "It must contain the same dlgrade version as the grading host.",
    ).tag(config=True)
    docker_command = List(
        Unicode(),
        ["docker"],
        help="The docker client command, e.g. ['docker'] or ['docker', '--host', 'ssh://gpu1'].",
    ).tag(config=True)
    python = Unicode("python", help="Python interpreter inside the image.").tag(config=True)
    cpus = Float(1.0, help="CPUs one sandbox container may use (docker run --cpus).").tag(
        config=True
    )
    user = Unicode(
        "61000:61000", help="uid:gid the worker runs as inside the container (never root)."
    ).tag(config=True)
    scratch_size_mb = Integer(
        512, help="Size of the tmpfs scratch folder (/sandbox, the worker's cwd and HOME), MiB."
    ).tag(config=True)
    gpu_devices = List(
        Unicode(),
        [],
        help="With allow_gpu, the GPU ids to give sandboxes, one per worker slot in turn "
        "(slot N gets gpu_devices[N % len]); empty gives every sandbox all GPUs.",
    ).tag(config=True)
    runtime = Unicode(
        "", help="OCI runtime for the containers, e.g. 'runsc' (gVisor); empty: the engine default."
    ).tag(config=True)
    extra_run_args = List(
        Unicode(), [], help="More `docker run` arguments, added before the image name."
    ).tag(config=True)
    start_timeout_s = Integer(
        60, help="Seconds `docker image inspect` may take when the backend checks its image."
    ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._image_checked = False

    # -- command line ----------------------------------------------------------------
    def _ids(self) -> tuple[int, int]:
        uid, _, gid = self.user.partition(":")
        uid_n, gid_n = int(uid), int(gid or uid)
        if uid_n == 0:
            raise ValueError("DockerSandbox.user must not be root")
        return uid_n, gid_n

    def run_command(self, job: SandboxJob, name: str) -> list[str]:
        """The full `docker run` command line for `job` (public for inspection and tests)."""
        uid, gid = self._ids()
        self.address_space_mb()  # the cgroup charges tmpfs pages: leave room for processes
        mem = f"{self.memory_limit_mb}m"
        tmpfs_opts = f"rw,nosuid,nodev,uid={uid},gid={gid},mode=0700"
        cmd = [*self.docker_command, "run", "--interactive", "--rm", "--pull", "never"]
        cmd += ["--name", name, "--label", f"{OWNER_LABEL}={self._owner}"]
        cmd += ["--label", f"dlgrade.sandbox.job={_slug(job.label)}"]
        cmd += ["--network", "none", "--ipc", "private", "--hostname", "sandbox"]
        cmd += ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]
        cmd += ["--user", f"{uid}:{gid}", "--workdir", SANDBOX_HOME]
        cmd += ["--tmpfs", f"{SANDBOX_HOME}:{tmpfs_opts},size={self.scratch_size_mb}m"]
        cmd += ["--tmpfs", f"/tmp:rw,nosuid,nodev,mode=1777,size={self.tmpfs_limit_mb}m"]
        cmd += ["--shm-size", f"{self.shm_limit_mb}m"]
        cmd += ["--memory", mem, "--memory-swap", mem, "--cpus", f"{self.cpus:g}"]
        cmd += ["--pids-limit", str(self.max_processes)]
        cmd += ["--ulimit", f"cpu={self.cpu_time_limit_s}:{self.cpu_time_limit_s}"]
        fsize = self.max_file_size_mb * 2**20
        cmd += ["--ulimit", f"fsize={fsize}:{fsize}"]
        cmd += ["--ulimit", f"nofile={self.max_open_files}:{self.max_open_files}"]
        cmd += ["--ulimit", "core=0:0", "--log-driver", "none"]
        for key, value in (
            ("HOME", SANDBOX_HOME),
            ("OMP_NUM_THREADS", "1"),
            ("MKL_NUM_THREADS", "1"),
            ("MPLBACKEND", "Agg"),
        ):
            cmd += ["--env", f"{key}={value}"]
        if self.runtime:
            cmd += ["--runtime", self.runtime]
        if self.allow_gpu and job.use_gpu:
            if self.gpu_devices:
                device = self.gpu_devices[job.slot % len(self.gpu_devices)]
                cmd += ["--gpus", f"device={device}"]
            else:
                cmd += ["--gpus", "all"]
        cmd += list(self.extra_run_args)
        return [*cmd, self.image, self.python, "-I", "-m", "dlgrade.sandbox.worker"]

    # -- lifecycle -------------------------------------------------------------------
    def _check_image(self) -> None:
        if self._image_checked:
            return
        try:
            found = subprocess.run(
                [*self.docker_command, "image", "inspect", "--format", "{{.Id}}", self.image],
                capture_output=True,
                timeout=self.start_timeout_s,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"the docker client failed: {exc}") from None
        if found.returncode != 0:
            detail = found.stderr.decode("utf-8", "replace").strip()
            raise RuntimeError(
                f"sandbox image {self.image!r} is not available ({detail}); "
                "build it with `make docker-build`"
            )
        self._image_checked = True

    def launch(self, job: SandboxJob) -> DockerProcess:
        refuse_exposed(mounted_sources(list(self.extra_run_args)), job.hide)
        self._check_image()
        name = f"dlgrade-{_slug(job.label)}-{uuid.uuid4().hex[:10]}"
        errors = tempfile.TemporaryFile()
        popen = subprocess.Popen(
            self.run_command(job, name),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,
            close_fds=True,
        )
        self.log.debug("started sandbox container %s for %s", name, job.label)
        return DockerProcess(popen, name, list(self.docker_command), errors)

    def close(self) -> None:
        """Remove every container this backend started that is still there."""
        try:
            listed = subprocess.run(
                [
                    *self.docker_command,
                    "ps",
                    "-aq",
                    "--filter",
                    f"label={OWNER_LABEL}={self._owner}",
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return
        _remove_containers(self.docker_command, listed.stdout.decode().split())
