"""Fixtures of the end-to-end test: a throwaway hub of two courses with its own Unix accounts,
and a headless Chromium. Selected only with `-m e2e` (`make e2e`)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hubcourse import Assignment, pick_assignment
from hubdriver import CHROMIUM, CHROMIUM_ARGS, Shots

from dlgrade.hub.hub import CourseHub
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import CourseSource, HubSettings, plan

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"
SECOND_COURSE = REPO / "tests" / "fixtures" / "course"  # the second course: assignment hello
SECOND_ASSIGNMENT = "hello"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    markexpr = config.getoption("markexpr") or ""
    if "e2e" in markexpr and "not e2e" not in markexpr:
        return
    skip = pytest.mark.skip(reason="end-to-end: run it with `make e2e` (pytest -m e2e)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@dataclass
class E2EHub:
    hub: CourseHub
    assignment: Assignment
    passwords: dict[str, str]
    instructor: str
    ta: str
    students: list[str]
    hostile: str  # a student who submits from the shell, never through the browser
    second: str  # the second course's id: its staff is the instructor, its student alice
    second_assignment: str

    @property
    def url(self) -> str:
        return self.hub.plan.url

    @property
    def course_id(self) -> str:
        return self.hub.plan.course_id

    @property
    def course_root(self) -> Path:
        return self.hub.plan.course_root

    @property
    def exchange(self) -> Path:
        return self.hub.plan.exchange_root / self.course_id

    def user_env(self, username: str) -> dict[str, str]:
        """What a user's JupyterLab terminal has: the venv, the students' nbgrader config and
        the hub API with a token of that user (nbgrader asks the hub for their courses)."""
        p = self.hub.plan
        made = subprocess.run(
            [str(p.bin / "jupyterhub"), "token", "-f", str(p.config_file), username],
            cwd=p.private_dir, env={"PATH": f"{p.bin}:/usr/bin:/bin", "HOME": "/root"},
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return {
            "PATH": f"{p.bin}:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": str(p.jupyter_config_dir("students")),
            "JUPYTERHUB_USER": username,
            "JUPYTERHUB_API_TOKEN": made.stdout.strip().splitlines()[-1],
            "JUPYTERHUB_API_URL": f"http://127.0.0.1:{p.hub_port}/hub/api",
        }


def require_tools() -> None:
    if os.geteuid() != 0:
        pytest.fail("the e2e test creates Unix accounts: run it as root (make e2e)")
    venv_bin = Path(HubSettings().venv) / "bin"
    for tool in (Path(CHROMIUM), venv_bin / "configurable-http-proxy"):
        if not tool.exists():
            pytest.fail(f"{tool} is missing: run `bash scripts/hub-deps.sh` (make e2e does)")


@pytest.fixture(scope="session")
def shots() -> Shots:
    return Shots(ARTIFACTS)


@pytest.fixture(scope="session")
def course_hub() -> Iterator[E2EHub]:
    """One hub of two fresh courses, `e2e<hex>` (the repository's smallest usable assignment)
    and `e2e<hex>-two` (the fixture course's `hello`): an instructor of both, a TA of the
    first only, alice a student of both, bob and mallory of the first only. The accounts,
    their homes, the exchange and the hub's state are removed afterwards."""
    require_tools()
    source = Path(os.environ.get("DLGRADE_E2E_COURSE", REPO))
    assignment = pick_assignment(source)
    tag = f"e2e{secrets.token_hex(3)}"
    second = f"{tag}-two"
    state = Path(tempfile.mkdtemp(prefix=f"dlgrade-{tag}-"))
    state.chmod(0o755)
    roles = {
        f"{tag}-prof": ("instructor", ()),
        f"{tag}-ta": ("ta", (tag,)),
        f"{tag}-alice": ("student", (tag, second)),
        f"{tag}-bob": ("student", (tag,)),
        f"{tag}-mallory": ("student", (tag,)),
    }
    members = [
        Member(name, role, name.split("-")[1].title(), "E2e", courses=courses)
        for name, (role, courses) in roles.items()
    ]
    settings = HubSettings(port=0, state_dir=str(state), tag=tag, start_timeout=180)
    courses = [
        CourseSource(tag, source, "", (assignment.name,)),
        CourseSource(second, SECOND_COURSE, "", (SECOND_ASSIGNMENT,)),
    ]
    hub = CourseHub(plan(settings, courses), members)
    try:
        passwords = hub.provision()
        hub.start()
        yield E2EHub(
            hub,
            assignment,
            passwords,
            instructor=f"{tag}-prof",
            ta=f"{tag}-ta",
            students=[f"{tag}-alice", f"{tag}-bob"],
            hostile=f"{tag}-mallory",
            second=second,
            second_assignment=SECOND_ASSIGNMENT,
        )
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        logs = {"jupyterhub.log": hub.plan.log_file}
        for i, c in enumerate(hub.plan.courses, start=1):
            logs[f"service-course{i}.log"] = hub.plan.service_log_file(c.course_id)
        for name, log in logs.items():
            if log.exists():
                shutil.copyfile(log, ARTIFACTS / name)
        hub.teardown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
