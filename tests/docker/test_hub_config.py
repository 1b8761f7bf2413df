"""The Docker stack's hub configuration (docker/hub/jupyterhub_config.py), loaded as the hub
image loads it (beside the platform's roster parser, as course_roster), with the
environment compose passes: the two courses' groups, roles and formgrader services come
from the roster's `courses` column. The running stack is tests/docker/test_stack.py's."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from tests.conftest import REPO

COURSES = [
    {"id": "dl-advanced", "url": "http://formgrader:8888", "token": "a" * 64},
    {"id": "dl-intro", "url": "http://formgrader-intro:8888", "token": "b" * 64},
]
ROSTER = """username,role,first_name,last_name,email,courses
prof,instructor,,,,
tara,ta,,,,dl-advanced
tom,ta,,,,dl-intro
alice,student,,,,
bob,student,,,,dl-advanced
"""


def load(tmp_path: Path, monkeypatch, roster: str = ROSTER, courses=COURSES) -> Config:
    folder = tmp_path / "srv"
    folder.mkdir()
    shutil.copy(REPO / "docker" / "hub" / "jupyterhub_config.py", folder)
    shutil.copy(REPO / "dlgrade" / "hub" / "roster.py", folder / "course_roster.py")
    (folder / "roster.csv").write_text(roster)
    monkeypatch.setenv("DLGRADE_ROSTER", str(folder / "roster.csv"))
    monkeypatch.setenv("DLGRADE_COURSES", json.dumps(courses))
    monkeypatch.setenv("DLGRADE_HUB_PASSWORD", "a-trial-password")
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "course_roster", raising=False)
    config = Config()
    path = folder / "jupyterhub_config.py"
    exec(
        compile(path.read_text(), str(path), "exec"),
        {"get_config": lambda: config, "__file__": str(path)},
    )
    return config


def test_each_course_gets_its_groups_roles_and_formgrader(tmp_path, monkeypatch):
    c = load(tmp_path, monkeypatch)
    groups = {name: set(g["users"]) for name, g in c.JupyterHub.load_groups.items()}
    assert groups == {
        "formgrade-dl-advanced": {"prof", "tara"},
        "nbgrader-dl-advanced": {"alice", "bob"},
        "formgrade-dl-intro": {"prof", "tom"},
        "nbgrader-dl-intro": {"alice"},
    }
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "access:services!service=dl-advanced" in roles["formgrade-dl-advanced"]["scopes"]
    assert not any("dl-intro" in s for s in roles["formgrade-dl-advanced"]["scopes"])
    assert not any(s.startswith("access:") for s in roles["nbgrader-dl-intro"]["scopes"])
    services = {s["name"]: s for s in c.JupyterHub.services}
    for course in COURSES:
        assert services[course["id"]]["url"] == course["url"]
        assert services[course["id"]]["api_token"] == course["token"]
    assert c.Authenticator.allowed_users == {"prof", "tara", "tom", "alice", "bob"}
    assert c.Authenticator.admin_users == {"prof"}
    # a user's server pins no course: nbgrader reads the courses from the hub's groups
    assert "NBGRADER_COURSE_ID" not in c.DockerSpawner.environment


@pytest.mark.parametrize(
    "roster, courses, message",
    [
        (ROSTER.replace("dl-intro\n", "dl-other\n"), COURSES, "dl-other"),
        (
            ROSTER.replace("prof,instructor", "prof,student").replace("tom,ta", "tom,student"),
            COURSES,
            "nobody can grade the course dl-intro",
        ),
        (ROSTER, [], "DLGRADE_COURSES"),
    ],
)
def test_a_roster_or_course_list_it_cannot_use_stops_the_hub(
    tmp_path, monkeypatch, roster, courses, message
):
    with pytest.raises(SystemExit) as stopped:
        load(tmp_path, monkeypatch, roster, courses)
    assert message in str(stopped.value)
