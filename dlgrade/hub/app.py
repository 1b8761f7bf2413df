"""`python -m dlgrade.hub up|down|status`: the repository's courses on a local JupyterHub."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Bool, default

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.courses import course_names, load_config
from dlgrade.hub import course
from dlgrade.hub.hub import CourseHub, HubError
from dlgrade.hub.profiles import ClusterProfiles, ClusterUnavailable, resolve
from dlgrade.hub.roster import RosterError, for_courses, read_roster
from dlgrade.hub.settings import CourseSource, HubSettings, plan
from dlgrade.hub.users import HubUserError

aliases = {
    **base_aliases,
    "courses": "HubSettings.courses",
    "port": "HubSettings.port",
    "roster": "HubSettings.roster",
    "state-dir": "HubSettings.state_dir",
}
flags = {
    **base_flags,
    "purge": (
        {"HubApp": {"purge": True}},
        "With `down`: also delete the hub's accounts, their homes and the hub's state.",
    ),
}

ACTIONS = ("up", "down", "status")
FAILURES = (HubError, HubUserError, RosterError, ClusterUnavailable, FileNotFoundError, ValueError)


class HubApp(DlGradeApp):
    name = "dlgrade-hub"
    description = (
        "Run the repository's courses on a local JupyterHub: `up` creates the roster's "
        "accounts, copies each course for its grader account and starts the hub with one "
        "formgrader service per course; `down` stops it."
    )
    aliases = aliases
    flags = flags
    examples = (
        "python -m dlgrade.hub up\npython -m dlgrade.hub up --courses=intro\n"
        "python -m dlgrade.hub down --purge"
    )

    purge = Bool(False, help="`down` also removes accounts, homes and state.").tag(config=True)

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), HubSettings, ClusterProfiles]

    def course_sources(self, settings: HubSettings) -> list[CourseSource]:
        """The courses to serve: HubSettings.courses, else --course, else every course of the
        repository (a repository without courses/ is its root config's one course). A plain
        name in HubSettings.assignments goes to the courses that have it (to every course
        when none has it, which then fails naming it), '<course_id>:<name>' to that one."""
        repo = Path(self.coursedir.root)
        names = list(settings.courses) or ([self.course] if self.course else course_names(repo))
        ids = {
            n: CourseDirectory(config=load_config(repo, n or None)).course_id for n in names or [""]
        }
        has = {n: set(course.available_assignments(repo, n)) for n in ids}
        sources = []
        for name, course_id in ids.items():
            mine = [
                a.split(":", 1)[1] for a in settings.assignments if a.startswith(f"{course_id}:")
            ]
            shared = [
                a for a in settings.assignments
                if ":" not in a and (a in has[name] or not any(a in h for h in has.values()))
            ]  # fmt: skip
            picked = tuple(shared + mine)
            if settings.assignments and not picked:
                self.log.warning("HubSettings.assignments names none of %s's", course_id)
            sources.append(CourseSource(course_id, repo, name, picked))
        return sources

    @cached_property
    def hub(self) -> CourseHub:
        settings = HubSettings(parent=self)
        repo = Path(self.coursedir.root)
        sources = self.course_sources(settings)
        served = [s.course_id for s in sources]
        known = [CourseDirectory(config=load_config(repo, n)).course_id for n in course_names(repo)]
        members = for_courses(read_roster(settings.roster), served, known)
        # the accounts' tag and the state dir stay the same whichever courses are served
        hub_id = CourseDirectory(config=load_config(repo)).course_id
        starting = self.extra_args[:1] == ["up"]
        cluster = resolve(ClusterProfiles(parent=self), settings.tag or hub_id, strict=starting)
        return CourseHub(plan(settings, sources, cluster, hub_id=hub_id), members, repo)

    def start(self) -> None:
        action = self.extra_args[0] if self.extra_args else ""
        if action not in ACTIONS:
            self.fail(f"Say what to do: one of {', '.join(ACTIONS)}")
        if os.geteuid() != 0:
            self.fail("The hub creates Unix accounts and runs servers as them: run it as root.")
        try:
            getattr(self, f"do_{action}")()
        except FAILURES as err:
            self.fail(str(err))

    def do_up(self) -> None:
        hub = self.hub
        if hub.running_pid():
            self.log.info("Restarting the hub running from %s", hub.plan.state_dir)
            hub.stop()
        passwords = hub.provision()
        hub.start()
        self.print_access(passwords)

    def do_down(self) -> None:
        if self.purge:
            self.hub.teardown()
            self.log.info("Hub stopped; accounts and %s removed.", self.hub.plan.state_dir)
        else:
            self.hub.stop()
            self.log.info("Hub stopped. `python -m dlgrade.hub down --purge` removes the accounts.")

    def do_status(self) -> None:
        pid = self.hub.running_pid()
        print(f"running (pid {pid}) at {self.hub.plan.url}" if pid else "not running")

    def print_access(self, passwords: dict[str, str]) -> None:
        p = self.hub.plan
        print(f"\nJupyterHub for {', '.join(c.course_id for c in p.courses)} is up: {p.url}/")
        for c in p.courses:
            names = ", ".join(self.hub.assignments[c.course_id]) or "(none in its source folder)"
            print(f"  {c.course_id}: formgrader and grading terminal at {p.url}/services/"
                  f"{c.course_id}/ (run as {c.grader_user}); assignments: {names}")  # fmt: skip
        print(f"  logs: {p.log_file}   passwords: {p.credentials_file}")
        for m in sorted(self.hub.members, key=lambda m: (m.role, m.username)):
            courses = ";".join(m.courses) or "all courses"
            print(f"  {m.role:<10} {m.username:<16} {passwords[m.username]:<14} {courses}")
        print("Stop it with `make hub-stop`.\n")


def main() -> None:
    HubApp.launch_instance()
