"""`python -m dlgrade.hub up|down|status`: the course on a local JupyterHub."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from traitlets import Bool, default

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.hub.hub import CourseHub, HubError
from dlgrade.hub.profiles import ClusterProfiles, ClusterUnavailable, resolve
from dlgrade.hub.roster import RosterError, read_roster
from dlgrade.hub.settings import HubSettings, plan
from dlgrade.hub.users import HubUserError

aliases = {
    **base_aliases,
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
        "Run the course on a local JupyterHub: `up` creates the roster's accounts, copies the "
        "course for the grader account and starts the hub; `down` stops it."
    )
    aliases = aliases
    flags = flags
    examples = "python -m dlgrade.hub up\npython -m dlgrade.hub down --purge"

    purge = Bool(False, help="`down` also removes accounts, homes and state.").tag(config=True)

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), HubSettings, ClusterProfiles]

    @cached_property
    def hub(self) -> CourseHub:
        settings = HubSettings(parent=self)
        members = read_roster(settings.roster)
        course_id = self.coursedir.course_id
        starting = self.extra_args[:1] == ["up"]
        cluster = resolve(ClusterProfiles(parent=self), course_id, strict=starting)
        return CourseHub(
            plan(settings, course_id, cluster),
            members,
            Path(self.coursedir.root),
            list(settings.assignments),
        )

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
        roles = {m.username: m.role for m in self.hub.members}
        print(f"\nJupyterHub for {p.course_id} is up: {p.url}/")
        print(f"  course service (formgrader, grading terminal): {p.url}/services/{p.course_id}/")
        print(f"  assignments: {', '.join(self.hub.assignments) or '(none in source/)'}")
        print(f"  logs: {p.log_file}   passwords: {p.credentials_file}")
        for name, password in sorted(passwords.items(), key=lambda kv: (roles[kv[0]], kv[0])):
            print(f"  {roles[name]:<10} {name:<16} {password}")
        print("Stop it with `make hub-stop`.\n")


def main() -> None:
    HubApp.launch_instance()
