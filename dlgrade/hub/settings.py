"""Settings of the local course hub, as traitlets traits (set them in nbgrader_config.py),
and the plan resolved from them: one hub, one or more courses on it."""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from traitlets import Int, List, Unicode
from traitlets.config import LoggingConfigurable

from dlgrade.hub.profiles import ClusterPlan


class HubSettings(LoggingConfigurable):
    """Where and how `python -m dlgrade.hub up` runs JupyterHub for the courses."""

    courses = List(
        Unicode(),
        help="Courses of the repository (folders of courses/) the hub serves side by side "
        "(empty = every course; `--course=NAME` alone = that one).",
    ).tag(config=True)

    ip = Unicode(
        "127.0.0.1", help="Address the hub's proxy listens on. Keep localhost unless behind TLS."
    ).tag(config=True)
    port = Int(8000, help="Port of the hub's public URL (0 = any free port).").tag(config=True)
    hub_port = Int(0, help="Port of the hub's internal API (0 = any free port).").tag(config=True)
    proxy_api_port = Int(
        0, help="Port of configurable-http-proxy's REST API (0 = any free port)."
    ).tag(config=True)
    service_port = Int(
        0,
        help="Port of the first course's service (the graders' shared server); the next "
        "courses' services take the following ports (0 = any free ports).",
    ).tag(config=True)
    state_dir = Unicode(
        "",
        help="Folder for the hub's config, database, logs, passwords and the exchange "
        "(default /srv/dlgrade-hub/<tag>).",
    ).tag(config=True)
    course_root = Unicode(
        "",
        help="Course root on the hub, owned by the course's grader account; '{course_id}' in "
        "it is replaced by each course's id, which a hub of several courses needs "
        "(default /home/grader-{course_id}/{course_id}).",
    ).tag(config=True)
    exchange_root = Unicode(
        "",
        help="nbgrader exchange shared by all hub users and courses, one folder per course "
        "id in it (default <state_dir>/exchange).",
    ).tag(config=True)
    roster = Unicode(
        str(Path(__file__).with_name("roster.example.csv")),
        help="CSV roster (username,role[,first_name,last_name,email,courses]) of the accounts "
        "to create; `courses` (course ids separated by ';', empty = every course) says "
        "which courses a row's role is for.",
    ).tag(config=True)
    assignments = List(
        Unicode(),
        help="Assignments copied into the hub's course roots (empty = all of each course's "
        "source folder); '<course_id>:<assignment>' names one course's only.",
    ).tag(config=True)
    tag = Unicode(
        "",
        help="Marker written into the accounts the hub creates; only accounts carrying it are "
        "ever changed or removed (default: the course id of the repository's root "
        "nbgrader_config.py).",
    ).tag(config=True)
    start_timeout = Int(120, help="Seconds a user's server (or the hub) may take to start.").tag(
        config=True
    )
    competition = Unicode(
        "represent",
        help="Assignment of the representation-learning competition: a course whose copied "
        "assignments include it (with graders/<it>/competition.json) gets the leaderboard "
        "service compete-<course_id> ('' = no competition on this hub).",
    ).tag(config=True)
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
class CourseSource:
    """A course to serve: its id on the hub, and where its material comes from."""

    course_id: str
    source: Path | None = None
    """The repository (or course root) holding the course's nbgrader_config.py and folders;
    None: the one given to `CourseHub`."""
    name: str = ""
    """Its folder of courses/ in `source` ('' = the root nbgrader_config.py's own course)."""
    assignments: tuple[str, ...] = ()
    """Assignments copied to the hub (empty = every one of its source folder)."""


@dataclass(frozen=True)
class CoursePlan(CourseSource):
    """One course on the hub: its grader account, course root and service port."""

    service_port: int = 0
    course_root: Path = Path()
    compete_port: int = 0
    """Port of the course's leaderboard service (used only when the course has one)."""

    @property
    def grader_user(self) -> str:
        return f"grader-{self.course_id}"

    @property
    def formgrade_group(self) -> str:
        """Its staff: they may open the course service (nbgrader's group name)."""
        return f"formgrade-{self.course_id}"

    @property
    def nbgrader_group(self) -> str:
        """Its students: nbgrader lists them the course's assignments (nbgrader's name)."""
        return f"nbgrader-{self.course_id}"

    @property
    def compete_service(self) -> str:
        """The hub service of the course's competition leaderboard."""
        return f"compete-{self.course_id}"


@dataclass(frozen=True)
class HubPlan:
    """Every concrete path, port and name the hub uses, resolved from HubSettings: the hub's
    own, and one CoursePlan per course it serves."""

    tag: str
    ip: str
    port: int
    hub_port: int
    proxy_api_port: int
    state_dir: Path
    exchange_root: Path
    venv: Path
    start_timeout: int
    courses: tuple[CoursePlan, ...]
    cluster: ClusterPlan | None = None
    competition: str = "represent"

    # The first course's: all there is to a hub of one course.
    @property
    def course_id(self) -> str:
        return self.courses[0].course_id

    @property
    def course_root(self) -> Path:
        return self.courses[0].course_root

    @property
    def service_port(self) -> int:
        return self.courses[0].service_port

    @property
    def grader_user(self) -> str:
        return self.courses[0].grader_user

    def course(self, course_id: str) -> CoursePlan:
        for c in self.courses:
            if c.course_id == course_id:
                return c
        raise KeyError(f"the hub serves no course {course_id!r}")

    @property
    def graders(self) -> list[str]:
        return [c.grader_user for c in self.courses]

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
    def accounts_file(self) -> Path:
        """Every account a `provision` created or adopted, for `teardown`."""
        return self.private_dir / "accounts.txt"

    def service_log_file(self, course_id: str | None = None) -> Path:
        return self.private_dir / f"service-{course_id or self.course_id}.log"

    def service_pid_file(self, course_id: str | None = None) -> Path:
        return self.private_dir / f"service-{course_id or self.course_id}.pid"

    def service_token_file(self, course_id: str | None = None) -> Path:
        return self.private_dir / f"service-token-{course_id or self.course_id}"

    @property
    def credentials_file(self) -> Path:
        return self.private_dir / "credentials.csv"

    def jupyter_config_dir(self, role: str) -> Path:
        """JUPYTER_CONFIG_PATH of the servers of `role` ('staff', 'students' or 'course',
        the courses' services)."""
        return self.state_dir / "jupyter" / role


COURSE_ID = re.compile(r"^[a-z][a-z0-9-]{0,23}$")


def check_course_id(course_id: str) -> str:
    if not COURSE_ID.match(course_id):
        raise ValueError(
            f"course id {course_id!r} cannot name a hub service and the account "
            "grader-<course_id>: use 1-24 lower-case letters, digits or '-', starting with a letter"
        )
    return course_id


def plan(
    settings: HubSettings,
    courses: str | Sequence[CourseSource],
    cluster: ClusterPlan | None = None,
    hub_id: str = "",
) -> HubPlan:
    """Resolve defaults and pick free ports for a hub serving `courses` (one course id, or
    several courses); `cluster` adds the cluster profiles; `hub_id` (default: the first
    course's id) names the state dir and tags the accounts unless the settings do."""
    sources = [CourseSource(courses)] if isinstance(courses, str) else list(courses)
    if not sources:
        raise ValueError("the hub needs at least one course")
    ids = [check_course_id(s.course_id) for s in sources]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a course id is listed twice: {', '.join(ids)}")
    root_pattern = settings.course_root or "/home/grader-{course_id}/{course_id}"
    if len(ids) > 1 and "{course_id}" not in root_pattern:
        raise ValueError(
            "HubSettings.course_root must contain '{course_id}' when the hub serves several "
            "courses (each has its own course root)"
        )
    tag = settings.tag or hub_id or ids[0]
    state = Path(settings.state_dir or f"/srv/dlgrade-hub/{tag}")

    def port(value: int) -> int:
        return value or free_port(settings.ip)

    plans = tuple(
        CoursePlan(
            **vars(source),
            service_port=port(settings.service_port + i if settings.service_port else 0),
            course_root=Path(root_pattern.replace("{course_id}", source.course_id)),
            compete_port=port(0),
        )
        for i, source in enumerate(sources)
    )
    return HubPlan(
        tag=tag,
        ip=settings.ip,
        port=port(settings.port),
        hub_port=port(settings.hub_port),
        proxy_api_port=port(settings.proxy_api_port),
        state_dir=state,
        exchange_root=Path(settings.exchange_root or state / "exchange"),
        venv=Path(settings.venv),
        start_timeout=settings.start_timeout,
        courses=plans,
        cluster=cluster,
        competition=settings.competition,
    )


def with_source(p: HubPlan, repo: Path | None, assignments: Sequence[str] = ()) -> HubPlan:
    """`p` with `repo` (and `assignments`) for each course that names none of its own."""
    courses = tuple(
        replace(
            c,
            source=c.source or repo,
            assignments=c.assignments or (tuple(assignments) if c.source is None else ()),
        )
        for c in p.courses
    )
    return replace(p, courses=courses)
