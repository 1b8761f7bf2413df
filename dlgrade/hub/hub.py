"""Provision, start, stop and tear down the course hub (one hub, one or more courses)."""

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
from dlgrade.hub.roster import Member, for_courses
from dlgrade.hub.settings import CoursePlan, HubPlan, with_source
from dlgrade.hub.template import render
from dlgrade.hub.users import (
    ensure_user,
    kill_processes_of,
    lookup,
    owned_by,
    remove_user,
    run_as,
)

log = logging.getLogger(__name__)


class HubError(RuntimeError):
    """The hub could not be provisioned, started or stopped."""


class CourseHub:
    """The courses on one local JupyterHub: accounts, course copies, exchange, hub process
    and one course service (formgrader) per course."""

    def __init__(
        self,
        plan: HubPlan,
        members: list[Member],
        repo: Path | None = None,
        assignments: list[str] | None = None,
    ):
        """`repo` and `assignments` are those of the courses whose plan names none."""
        self.plan = with_source(plan, Path(repo) if repo else None, assignments or ())
        self.members = members
        self.repo = Path(repo) if repo else self.plan.courses[0].source
        missing = [c.course_id for c in self.plan.courses if c.source is None]
        if missing:
            raise HubError(f"no repository given for the courses {', '.join(missing)}")
        for_courses(members, [c.course_id for c in self.plan.courses])
        self.assignments: dict[str, list[str]] = {
            c.course_id: list(c.assignments) or course.available_assignments(c.source, c.name)
            for c in self.plan.courses
        }
        self.process: subprocess.Popen | None = None
        self.services: dict[str, subprocess.Popen] = {}

    @property
    def accounts(self) -> list[str]:
        """Every Unix account of this hub: the roster and the courses' grader accounts."""
        return [m.username for m in self.members] + self.plan.graders

    def members_of(self, course_id: str) -> list[Member]:
        return [m for m in self.members if m.in_course(course_id)]

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

    def secret(self, path: Path) -> str:
        """A random token kept (root-only) at `path`, created on first use."""
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip()

    def service_tokens(self) -> dict[str, str]:
        return {c.course_id: self.secret(self.plan.service_token_file(c.course_id))
                for c in self.plan.courses}  # fmt: skip

    def recorded_accounts(self) -> list[str]:
        """Accounts an earlier `provision` from this state dir made (perhaps for courses the
        plan no longer names)."""
        try:
            return self.plan.accounts_file.read_text().split()
        except OSError:
            return []

    def provision(self) -> dict[str, str]:
        """Create accounts, the course roots, exchange, gradebooks and hub config; return the
        passwords."""
        plan = self.plan
        plan.state_dir.mkdir(parents=True, exist_ok=True)
        plan.state_dir.chmod(0o755)
        plan.private_dir.mkdir(exist_ok=True)
        plan.private_dir.chmod(0o700)
        passwords = self.passwords()
        graders = {c.course_id: ensure_user(c.grader_user, plan.tag) for c in plan.courses}
        accounts = list(graders.values())
        for member in self.members:
            accounts.append(ensure_user(member.username, plan.tag, passwords[member.username]))
        names = list(dict.fromkeys(self.recorded_accounts() + self.accounts))
        plan.accounts_file.write_text("\n".join(names) + "\n")
        for entry in accounts:
            course.quiet_lab(Path(entry.pw_dir), entry.pw_uid, entry.pw_gid)
        self.check_environment()
        for c in plan.courses:
            grader = graders[c.course_id]
            course.copy_course(c.source, plan, self.assignments[c.course_id], c)
            course.chown_tree(c.course_root, grader.pw_uid, grader.pw_gid)
            # its grader's only, wherever HubSettings.course_root puts it
            c.course_root.chmod(0o700)
            course.prepare_exchange(plan, grader.pw_uid, grader.pw_gid, c)
        course.write_jupyter_configs(plan)
        for c in plan.courses:
            course.load_gradebook(plan, self.members, c)
            course.release_assignments(plan, self.assignments[c.course_id], c)
        plan.config_file.write_text(
            render(plan, self.members, self.service_tokens()), encoding="utf-8"
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
        """Start JupyterHub, then each course's service, in the background; wait for all."""
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
        for c in self.plan.courses:
            self.start_service(c)

    def service_env(self, c: CoursePlan | None = None) -> dict[str, str]:
        """What the hub would give a managed service: who it is and how to reach the hub."""
        p = self.plan
        c = c or p.courses[0]
        grader = lookup(c.grader_user)
        prefix = f"/services/{c.course_id}/"
        scopes = json.dumps([f"access:services!service={c.course_id}"])
        return {
            "HOME": grader.pw_dir,
            "USER": c.grader_user,
            "LOGNAME": c.grader_user,
            "SHELL": "/bin/bash",
            "PATH": f"{p.bin}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "JUPYTERHUB_API_TOKEN": self.secret(p.service_token_file(c.course_id)),
            "JUPYTERHUB_CLIENT_ID": f"service-{c.course_id}",
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{p.hub_port}/hub/api",
            "JUPYTERHUB_BASE_URL": "/",
            "JUPYTERHUB_HOST": "",
            "JUPYTERHUB_USER": c.grader_user,
            "JUPYTERHUB_SERVICE_NAME": c.course_id,
            "JUPYTERHUB_SERVICE_PREFIX": prefix,
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{c.service_port}",
            "JUPYTERHUB_OAUTH_CALLBACK_URL": f"{prefix}oauth_callback",
            "JUPYTERHUB_OAUTH_SCOPES": scopes,
            "JUPYTERHUB_OAUTH_ACCESS_SCOPES": scopes,
            "JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES": "[]",
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "JUPYTER_CONFIG_PATH": str(p.jupyter_config_dir("course")),
        }

    def start_service(self, c: CoursePlan) -> None:
        """The course's shared server, as its grader account in its course root."""
        p = self.plan
        grader = lookup(c.grader_user)
        log_file = p.service_log_file(c.course_id)
        with log_file.open("ab") as out:
            service = subprocess.Popen(
                [str(p.bin / "jupyterhub-singleuser")],
                cwd=c.course_root,
                env=self.service_env(c),
                user=grader.pw_uid,
                group=grader.pw_gid,
                extra_groups=[],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.services[c.course_id] = service
        p.service_pid_file(c.course_id).write_text(str(service.pid))
        url = f"http://127.0.0.1:{c.service_port}/services/{c.course_id}/api"
        self.wait_http(url, service, log_file)

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
        """Stop the courses' services, the hub (which stops its proxy and the users' servers)
        and then every process left to the hub's accounts."""
        p = self.plan
        pid_files = [p.service_pid_file(c.course_id) for c in p.courses]
        pid_files += [f for f in p.private_dir.glob("service*.pid") if f not in pid_files]
        for pid_file in pid_files:
            process = self.services.get(pid_file.stem.removeprefix("service-"))
            pid = process.pid if process else pid_from(pid_file, "jupyterhub-singleuser")
            terminate(pid, process, timeout)
        terminate(self.process.pid if self.process else self.running_pid(), self.process, timeout)
        proxy = pid_from(p.private_dir / "jupyterhub-proxy.pid", "configurable-http-proxy")
        terminate(proxy, None, 5)
        accounts = list(dict.fromkeys(self.accounts + self.recorded_accounts()))
        for name in accounts:
            entry = lookup(name)
            if entry is not None and entry.pw_uid != 0 and owned_by(entry, p.tag):
                kill_processes_of(entry.pw_uid)
        if p.cluster is not None:
            cancel_server_jobs(accounts, p.cluster.job_name)
        for path in (p.pid_file, *pid_files, p.private_dir / "jupyterhub-proxy.pid"):
            path.unlink(missing_ok=True)
        self.process = None
        self.services = {}

    def teardown(self) -> None:
        """Stop everything, delete the hub's accounts (with their homes) and its state dir."""
        self.stop()
        for name in dict.fromkeys(self.accounts + self.recorded_accounts()):
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
