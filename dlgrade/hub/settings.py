"""Settings of the local course hub, as traitlets traits (set them in nbgrader_config.py)."""

from __future__ import annotations

import re
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from traitlets import Int, List, Unicode
from traitlets.config import LoggingConfigurable

from dlgrade.hub.profiles import ClusterPlan


class HubSettings(LoggingConfigurable):
    """Where and how `python -m dlgrade.hub up` runs JupyterHub for one course."""

    ip = Unicode(
        "127.0.0.1", help="Address the hub's proxy listens on. Keep localhost unless behind TLS."
    ).tag(config=True)
    port = Int(8000, help="Port of the hub's public URL (0 = any free port).").tag(config=True)
    hub_port = Int(0, help="Port of the hub's internal API (0 = any free port).").tag(config=True)
    proxy_api_port = Int(
        0, help="Port of configurable-http-proxy's REST API (0 = any free port)."
    ).tag(config=True)
    service_port = Int(
        0, help="Port of the course service (the graders' shared server; 0 = any free port)."
    ).tag(config=True)
    state_dir = Unicode(
        "",
        help="Folder for the hub's config, database, logs, passwords and the exchange "
        "(default /srv/dlgrade-hub/<course_id>).",
    ).tag(config=True)
    course_root = Unicode(
        "",
        help="Course root on the hub, owned by the grader account "
        "(default /home/grader-<course_id>/<course_id>).",
    ).tag(config=True)
    exchange_root = Unicode(
        "", help="nbgrader exchange shared by all hub users (default <state_dir>/exchange)."
    ).tag(config=True)
    roster = Unicode(
        str(Path(__file__).with_name("roster.example.csv")),
        help="CSV roster (username,role,first_name,last_name,email) of the accounts to create.",
    ).tag(config=True)
    assignments = List(
        Unicode(), help="Assignments copied into the hub's course root (empty = all in source/)."
    ).tag(config=True)
    tag = Unicode(
        "",
        help="Marker written into the accounts the hub creates; only accounts carrying it are "
        "ever changed or removed (default: the course id).",
    ).tag(config=True)
    start_timeout = Int(120, help="Seconds a user's server (or the hub) may take to start.").tag(
        config=True
    )
    venv = Unicode(
        sys.prefix,
        help="Python environment (readable and executable by every hub user) that runs the "
        "hub, the servers and the autograder.",
    ).tag(config=True)


def free_port(ip: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class HubPlan:
    """Every concrete path, port and name the hub uses, resolved from HubSettings."""

    course_id: str
    tag: str
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    service_port: int
    state_dir: Path
    course_root: Path
    exchange_root: Path
    venv: Path
    start_timeout: int
    cluster: ClusterPlan | None = None

    @property
    def grader_user(self) -> str:
        return f"grader-{self.course_id}"

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}"

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def private_dir(self) -> Path:
        """Root-only folder: hub config, database, cookie secret, pid, log, passwords."""
        return self.state_dir / "hub"

    @property
    def config_file(self) -> Path:
        return self.private_dir / "jupyterhub_config.py"

    @property
    def log_file(self) -> Path:
        return self.private_dir / "jupyterhub.log"

    @property
    def pid_file(self) -> Path:
        return self.private_dir / "jupyterhub.pid"

    @property
    def service_log_file(self) -> Path:
        return self.private_dir / "service.log"

    @property
    def service_pid_file(self) -> Path:
        return self.private_dir / "service.pid"

    @property
    def credentials_file(self) -> Path:
        return self.private_dir / "credentials.csv"

    def jupyter_config_dir(self, role: str) -> Path:
        """JUPYTER_CONFIG_PATH of the servers of `role` ('staff', 'students' or 'course')."""
        return self.state_dir / "jupyter" / role


COURSE_ID = re.compile(r"^[a-z][a-z0-9-]{0,23}$")


def plan(settings: HubSettings, course_id: str, cluster: ClusterPlan | None = None) -> HubPlan:
    """Resolve defaults and pick free ports; `cluster` adds the cluster profiles."""
    if not COURSE_ID.match(course_id):
        raise ValueError(
            f"course id {course_id!r} cannot name a hub service and the account "
            "grader-<course_id>: use 1-24 lower-case letters, digits or '-', starting with a letter"
        )
    state = Path(settings.state_dir or f"/srv/dlgrade-hub/{course_id}")

    def port(value: int) -> int:
        return value or free_port(settings.ip)

    return HubPlan(
        course_id=course_id,
        tag=settings.tag or course_id,
        ip=settings.ip,
        port=port(settings.port),
        hub_port=port(settings.hub_port),
        proxy_api_port=port(settings.proxy_api_port),
        service_port=port(settings.service_port),
        state_dir=state,
        course_root=Path(settings.course_root or f"/home/grader-{course_id}/{course_id}"),
        exchange_root=Path(settings.exchange_root or state / "exchange"),
        venv=Path(settings.venv),
        start_timeout=settings.start_timeout,
        cluster=cluster,
    )
