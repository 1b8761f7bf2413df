"""Provision, start, stop and tear down the course hub."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from dlgrade.hub import course
from dlgrade.hub.profiles import cancel_server_jobs
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import HubPlan
from dlgrade.hub.template import render
from dlgrade.hub.users import ensure_user, kill_processes_of, lookup, remove_user, run_as

log = logging.getLogger(__name__)


class HubError(RuntimeError):
    """The hub could not be provisioned, started or stopped."""


class CourseHub:
    """One course on a local JupyterHub: accounts, course copy, exchange, hub process."""

    def __init__(self, plan: HubPlan, members: list[Member], repo: Path, assignments: list[str]):
        self.plan = plan
        self.members = members
        self.repo = Path(repo)
        self.assignments = assignments or course.available_assignments(self.repo)
        self.process: subprocess.Popen | None = None
        self.service: subprocess.Popen | None = None

    @property
    def accounts(self) -> list[str]:
        """Every Unix account of this hub: the roster and the grader account."""
        return [m.username for m in self.members] + [self.plan.grader_user]

    def passwords(self) -> dict[str, str]:
        """Login passwords of the roster, generated once and kept (root-only) in the state dir."""
        path = self.plan.credentials_file
        known: dict[str, str] = {}
        if path.exists():
            known = {row["username"]: row["password"] for row in csv.DictReader(path.open())}
        wanted = {
            m.username: known.get(m.username) or secrets.token_urlsafe(9) for m in self.members
        }
        if wanted != known:
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(["username", "password"])
            writer.writerows(sorted(wanted.items()))
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(out.getvalue())
        return wanted

    def secret(self, name: str) -> str:
        """A random token kept (root-only) in the state dir, created on first use."""
        path = self.plan.private_dir / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip()

    def provision(self) -> dict[str, str]:
        """Create accounts, the course root, exchange, gradebook and hub config; return passwords."""
        plan = self.plan
        plan.state_dir.mkdir(parents=True, exist_ok=True)
        plan.state_dir.chmod(0o755)
        plan.private_dir.mkdir(exist_ok=True)
        plan.private_dir.chmod(0o700)
        passwords = self.passwords()
        grader = ensure_user(plan.grader_user, plan.tag)
        accounts = [grader]
        for member in self.members:
            accounts.append(ensure_user(member.username, plan.tag, passwords[member.username]))
        for entry in accounts:
            course.quiet_lab(Path(entry.pw_dir), entry.pw_uid, entry.pw_gid)
        self.check_environment()
        course.copy_course(self.repo, plan, self.assignments)
        course.chown_tree(plan.course_root, grader.pw_uid, grader.pw_gid)
        course.prepare_exchange(plan, grader.pw_uid, grader.pw_gid)
        course.write_jupyter_configs(plan)
        course.load_gradebook(plan, self.members)
        course.release_assignments(plan, self.assignments)
        plan.config_file.write_text(
            render(plan, self.members, self.secret("service-token")), encoding="utf-8"
        )
        return passwords

    def check_environment(self) -> None:
        """The hub's users must be able to run the venv's Python and import the platform."""
        proxy = self.plan.bin / "configurable-http-proxy"
        if not proxy.exists():
            raise HubError(f"{proxy} is missing: run `bash scripts/hub-deps.sh`")
        modules = "dlgrade, nbgrader, jupyterhub"
        if self.plan.cluster is not None:
            modules += ", batchspawner, wrapspawner"
        result = run_as(
            self.plan.grader_user,
            [str(self.plan.bin / "python"), "-c", f"import {modules}"],
            check=False,
        )
        if result.returncode != 0:
            raise HubError(
                f"the hub's users cannot run {self.plan.bin / 'python'} (a venv built from "
                "/usr/bin/python3 in a folder every user can read is needed):\n" + result.stderr
            )

    def running_pid(self) -> int | None:
        """Pid of the hub started from this state dir, if it is alive."""
        return pid_from(self.plan.pid_file, str(self.plan.config_file))

    def start(self) -> None:
        """Start JupyterHub, then the course service, in the background; wait for both."""
        if self.running_pid():
            raise HubError(f"a hub already runs from {self.plan.state_dir}; stop it first")
        env = {
            "PATH": f"{self.plan.bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "/root",
        }
        with self.plan.log_file.open("ab") as out:
            self.process = subprocess.Popen(
                [str(self.plan.bin / "jupyterhub"), "-f", str(self.plan.config_file)],
                cwd=self.plan.private_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.wait_http(f"{self.plan.url}/hub/api/", self.process, self.plan.log_file)
        self.start_service()

    def service_env(self) -> dict[str, str]:
        """What the hub would give a managed service: who it is and how to reach the hub."""
        p = self.plan
        grader = lookup(p.grader_user)
        prefix = f"/services/{p.course_id}/"
        scopes = json.dumps([f"access:services!service={p.course_id}"])
        return {
            "HOME": grader.pw_dir,
            "USER": p.grader_user,
            "LOGNAME": p.grader_user,
            "SHELL": "/bin/bash",
            "PATH": f"{p.bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "JUPYTERHUB_API_TOKEN": self.secret("service-token"),
            "JUPYTERHUB_CLIENT_ID": f"service-{p.course_id}",
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{p.hub_port}/hub/api",
            "JUPYTERHUB_BASE_URL": "/",
            "JUPYTERHUB_HOST": "",
            "JUPYTERHUB_USER": p.grader_user,
            "JUPYTERHUB_SERVICE_NAME": p.course_id,
            "JUPYTERHUB_SERVICE_PREFIX": prefix,
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{p.service_port}",
            "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{prefix}oauth_callback",
            "JUPYTERHUB_OAUTH_SCOPES": scopes,
            "JUPYTERHUB_OAUTH_ACCESS_SCOPES": scopes,
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]",
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": str(p.jupyter_config_dir("course")),
        }

    def start_service(self) -> None:
        """The course's shared server, as the grader account in the course root."""
        p = self.plan
        grader = lookup(p.grader_user)
        with p.service_log_file.open("ab") as out:
            self.service = subprocess.Popen(
                [str(p.bin / "jupyterhub-singleuser")],
                cwd=p.course_root,
                env=self.service_env(),
                user=grader.pw_uid,
                group=grader.pw_gid,
                extra_groups=[],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        p.service_pid_file.write_text(str(self.service.pid))
        url = f"http://127.0.0.1:{p.service_port}/services/{p.course_id}/api"
        self.wait_http(url, self.service, p.service_log_file)

    def wait_http(self, url: str, process: subprocess.Popen, log_file: Path) -> None:
        """Wait until `url` answers 200, failing early if `process` exits."""
        deadline = time.monotonic() + self.plan.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise HubError(
                    f"{process.args[0]} exited with {process.returncode}:\n{tail(log_file)}"
                )
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        raise HubError(f"nothing answered at {url}:\n{tail(log_file)}")

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.plan.log_file, lines)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the course service, the hub (which stops its proxy and the users' servers)
        and then every process left to the hub's accounts."""
        p = self.plan
        service = (
            self.service.pid
            if self.service
            else pid_from(p.service_pid_file, "jupyterhub-singleuser")
        )
        terminate(service, self.service, timeout)
        terminate(self.process.pid if self.process else self.running_pid(), self.process, timeout)
        proxy = pid_from(p.private_dir / "jupyterhub-proxy.pid", "configurable-http-proxy")
        terminate(proxy, None, 5)
        for name in self.accounts:
            entry = lookup(name)
            if entry is not None and entry.pw_uid != 0:
                kill_processes_of(entry.pw_uid)
        if p.cluster is not None:
            cancel_server_jobs(self.accounts, p.cluster.job_name)
        for path in (p.pid_file, p.service_pid_file, p.private_dir / "jupyterhub-proxy.pid"):
            path.unlink(missing_ok=True)
        self.process = self.service = None

    def teardown(self) -> None:
        """Stop everything, delete the hub's accounts (with their homes) and its state dir."""
        self.stop()
        for name in self.accounts:
            remove_user(name, self.plan.tag)
        shutil.rmtree(self.plan.state_dir, ignore_errors=True)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def pid_from(pid_file: Path, needle: str) -> int | None:
    """The pid in `pid_file` if that process is alive and its command line contains `needle`
    (a stale pid file never leads to killing an unrelated process)."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except (OSError, ValueError):
        return None
    return pid if needle.encode() in cmdline else None


def terminate(pid: int | None, process: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM `pid`, wait up to `timeout` s, then SIGKILL its whole process group."""
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive(pid, process):
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process is not None:
        process.wait(timeout=10)


def alive(pid: int, process: subprocess.Popen | None) -> bool:
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
