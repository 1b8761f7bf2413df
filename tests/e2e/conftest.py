"""Fixtures of the end-to-end test: a throwaway course hub with its own Unix accounts, and a
headless Chromium. Selected only with `-m e2e` (`make e2e`)."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hubcourse import Assignment, pick_assignment
from hubdriver import CHROMIUM, CHROMIUM_ARGS, Shots

from dlgrade.hub.hub import CourseHub
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import HubSettings, plan

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "e2e"


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
    """A hub for a fresh course `e2e<hex>` with an instructor, a TA and three students; the
    accounts, their homes, the exchange and the hub's state are removed afterwards."""
    require_tools()
    source = Path(os.environ.get("DLGRADE_E2E_COURSE", REPO))
    assignment = pick_assignment(source)
    tag = f"e2e{secrets.token_hex(3)}"
    state = Path(tempfile.mkdtemp(prefix=f"dlgrade-{tag}-"))
    state.chmod(0o755)
    roles = {f"{tag}-prof": "instructor", f"{tag}-ta": "ta"}
    roles |= {f"{tag}-alice": "student", f"{tag}-bob": "student", f"{tag}-mallory": "student"}
    members = [
        Member(name, role, name.split("-")[1].title(), "E2e") for name, role in roles.items()
    ]
    settings = HubSettings(port=0, state_dir=str(state), tag=tag, start_timeout=180)
    hub = CourseHub(plan(settings, tag), members, source, [assignment.name])
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
        )
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if hub.plan.log_file.exists():
            shutil.copyfile(hub.plan.log_file, ARTIFACTS / "jupyterhub.log")
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
