"""The course hub's pieces that need no running hub: roster, plan, generated configs."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
from traitlets.config import Config

from dlgrade.hub import course
from dlgrade.hub.hub import pid_from
from dlgrade.hub.roster import (
    Member,
    RosterError,
    gradebook_csv,
    parse_roster,
    read_roster,
)
from dlgrade.hub.settings import HubSettings, plan
from dlgrade.hub.template import render
from dlgrade.hub.users import HubUserError, ensure_user, remove_user

ROSTER = """\
# comment lines are skipped
username,role,first_name,last_name,email
prof,instructor,Ada,Lovelace,ada@example.org
helper,TA,Alan,Turing,
s1,student,Grace,"Hopper, Jr.",
s2,student,,,
"""


def members() -> list[Member]:
    return parse_roster(ROSTER)


def test_roster_roles():
    """Does the roster give each account its role, case-insensitively, with names kept?"""
    by_name = {m.username: m for m in members()}
    assert [m.role for m in by_name.values()] == ["instructor", "ta", "student", "student"]
    assert by_name["s1"].last_name == "Hopper, Jr."
    assert by_name["prof"].grades and by_name["helper"].grades and not by_name["s1"].grades


def test_example_roster_is_valid():
    """Does the shipped example roster parse, with staff and students?"""
    example = read_roster(HubSettings().roster)
    assert {m.role for m in example} == {"instructor", "ta", "student"}


@pytest.mark.parametrize(
    "bad",
    ["Root", "a+b", "x*", "9lives", "../etc", "a" * 40, "al ice", "bob/"],
)
def test_roster_rejects_unsafe_usernames(bad):
    """Is a name that is not a safe Unix login and nbgrader id rejected with its line?"""
    with pytest.raises(RosterError, match=":3:"):
        parse_roster(f"username,role\nprof,instructor\n{bad},student\n")


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,role\nprof,instructor\n", "header"),
        ("username,role\nprof,dean\n", "role"),
        ("username,role\nprof,instructor\nprof,student\n", "twice"),
        ("username,role\ns1,student\n", "nobody can grade"),
    ],
)
def test_roster_errors(text, message):
    """Are a bad header, an unknown role, a duplicate and a roster without staff refused?"""
    with pytest.raises(RosterError, match=message):
        parse_roster(text)


def test_gradebook_csv_lists_students_only():
    """Does the gradebook import get the students, quoted, and no staff?"""
    lines = gradebook_csv(members()).splitlines()
    assert lines[0] == "id,first_name,last_name,email"
    assert lines[1] == '"s1","Grace","Hopper, Jr.",""'
    assert len(lines) == 3


@pytest.mark.parametrize("bad", ["DL", "a_b", "-x", "x" * 30, ""])
def test_plan_rejects_bad_course_ids(bad):
    """Is a course id that cannot name a service and a grader account refused?"""
    with pytest.raises(ValueError, match="course id"):
        plan(HubSettings(), bad)


def test_plan_defaults(tmp_path):
    """Are paths derived from the course id and free ports picked when asked for 0?"""
    p = plan(HubSettings(port=0, state_dir=str(tmp_path)), "dl-x")
    assert p.course_root == Path("/home/grader-dl-x/dl-x")
    assert p.exchange_root == tmp_path / "exchange"
    assert p.grader_user == "grader-dl-x"
    ports = {p.port, p.hub_port, p.proxy_api_port, p.service_port}
    assert len(ports) == 4 and all(1024 < port < 65536 for port in ports)
    assert p.url.startswith("http://127.0.0.1:")


def load_hub_config(text: str) -> tuple[Config, dict]:
    config = Config()
    namespace = {"get_config": lambda: config}
    exec(compile(text, "jupyterhub_config.py", "exec"), namespace)
    return config, namespace


def test_rendered_hub_config(tmp_path):
    """Does the hub config allow exactly the roster, put staff in formgrade-<course> and
    students in nbgrader-<course>, give only staff the course service, and bind to localhost?"""
    p = plan(HubSettings(port=8123, state_dir=str(tmp_path)), "dl-x")
    config, namespace = load_hub_config(render(p, members(), "tok"))
    hub = config.JupyterHub
    assert config.Authenticator.allowed_users == {"prof", "helper", "s1", "s2"}
    assert config.Authenticator.admin_users == set()
    assert hub.bind_url == "http://127.0.0.1:8123"
    assert hub.hub_bind_url.startswith("http://127.0.0.1:")
    assert hub.load_groups == {
        "formgrade-dl-x": {"users": ["helper", "prof"]},
        "nbgrader-dl-x": {"users": ["s1", "s2"]},
    }
    roles = {r["name"]: r for r in hub.load_roles}
    assert roles["formgrade-dl-x"]["groups"] == ["formgrade-dl-x"]
    assert "access:services!service=dl-x" in roles["formgrade-dl-x"]["scopes"]
    assert not any(s.startswith("access:") for s in roles["nbgrader-dl-x"]["scopes"])
    (service,) = hub.services
    assert service["name"] == "dl-x" and service["api_token"] == "tok"
    assert service["url"].startswith("http://127.0.0.1:")
    assert config.Spawner.ip == "127.0.0.1"
    assert config.Spawner.cmd == [str(p.bin / "jupyterhub-singleuser")]

    class FakeSpawner:
        def __init__(self, name):
            self.user = type("U", (), {"name": name})

    pick = config.Spawner.environment["JUPYTER_CONFIG_PATH"]
    assert pick(FakeSpawner("prof")) == str(p.jupyter_config_dir("staff"))
    assert pick(FakeSpawner("s1")) == str(p.jupyter_config_dir("students"))


def test_course_config_appends_the_exchange_once(tmp_path):
    """Is the hub block appended to the course's nbgrader_config.py exactly once, even when
    the course is copied again?"""
    p = plan(HubSettings(state_dir=str(tmp_path)), "dl-x")
    once = course.course_config("c = get_config()\nc.A.b = 1\n", p)
    twice = course.course_config(once, p)
    assert once == twice
    assert once.count(course.HUB_BLOCK) == 1
    assert f"c.Exchange.root = {str(tmp_path / 'exchange')!r}" in once
    assert "c.CourseDirectory.course_id = 'dl-x'" in once


def test_jupyter_configs_hide_the_formgrader_from_users(tmp_path):
    """Do students lose the formgrader and course list, staff keep the course list, the
    course service get the sandboxed formgrader in place of nbgrader's, and every server a
    non-login terminal shell?"""
    p = plan(HubSettings(state_dir=str(tmp_path)), "dl-x")
    course.write_jupyter_configs(p)

    def server(role):
        return json.loads((p.jupyter_config_dir(role) / "jupyter_server_config.json").read_text())

    def disabled(role):
        page = p.jupyter_config_dir(role) / "labconfig" / "page_config.json"
        return set(json.loads(page.read_text())["disabledExtensions"])

    students = server("students")["ServerApp"]["jpserver_extensions"]
    assert students == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.course_list": False,
    }
    assert "@jupyter/nbgrader:course-list" in disabled("students")
    assert "@jupyter/nbgrader:course-list" not in disabled("staff")
    assert "@jupyter/nbgrader:formgrader" in disabled("staff")
    assert disabled("course") == set()
    assert server("course")["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False,
        "dlgrade.hub.formgrader": True,
    }
    for role in ("staff", "students", "course"):
        assert server(role)["ServerApp"]["terminado_settings"] == course.TERMINALS
        nbconfig = (p.jupyter_config_dir(role) / "nbgrader_config.py").read_text()
        assert "c.ExchangeSubmit.add_random_string = True" in nbconfig
    assert oct(p.jupyter_config_dir("students").stat().st_mode & 0o777) == "0o755"


def test_copy_course_keeps_student_work(tmp_path):
    """Does copying the course refresh source/release/graders and keep submitted/?"""
    repo = tmp_path / "repo"
    for folder in ("source", "release", "graders"):
        (repo / folder / "a1").mkdir(parents=True)
        (repo / folder / "a1" / "f.txt").write_text(folder)
    (repo / "source" / "a1" / "__pycache__").mkdir()
    (repo / "nbgrader_config.py").write_text("c = get_config()\n")
    p = plan(
        HubSettings(state_dir=str(tmp_path / "state"), course_root=str(tmp_path / "c")), "dl-x"
    )
    kept = p.course_root / "submitted" / "s1" / "a1" / "a1.ipynb"
    kept.parent.mkdir(parents=True)
    kept.write_text("{}")
    (p.course_root / "graders" / "a1").mkdir(parents=True)
    (p.course_root / "graders" / "a1" / "stale.py").write_text("old")
    course.copy_course(repo, p, ["a1"])
    assert kept.read_text() == "{}"
    assert (p.course_root / "graders" / "a1" / "f.txt").read_text() == "graders"
    assert not (p.course_root / "graders" / "a1" / "stale.py").exists()
    assert not (p.course_root / "source" / "a1" / "__pycache__").exists()
    with pytest.raises(FileNotFoundError):
        course.copy_course(repo, p, ["nope"])


def test_stale_pid_file_never_names_another_process(tmp_path):
    """Is a pid file ignored when its process is gone or is some other program?"""
    pid_file = tmp_path / "x.pid"
    assert pid_from(pid_file, "jupyterhub") is None
    pid_file.write_text(str(os.getpid()))
    assert pid_from(pid_file, "no-such-program-name") is None
    assert pid_from(pid_file, "python") == os.getpid()
    pid_file.write_text("not a pid")
    assert pid_from(pid_file, "python") is None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to consider Unix accounts")
def test_foreign_accounts_are_never_touched():
    """Does the hub refuse to adopt or delete an account it did not create?"""
    name = pwd.getpwuid(1).pw_name  # 'daemon' on Debian
    with pytest.raises(HubUserError, match="not created"):
        ensure_user(name, "dl-x")
    with pytest.raises(HubUserError, match="not created"):
        remove_user(name, "dl-x")
