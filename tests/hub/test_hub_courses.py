"""Several courses on one hub, without a running hub: the roster's courses column, the
per-course plans, the rendered hub config (groups, roles, services per course) and the
course roots' nbgrader config."""

from __future__ import annotations

from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory
from test_hub_config import load_hub_config
from traitlets.config.loader import PyFileConfigLoader

from dlgrade.hub import course
from dlgrade.hub.hub import CourseHub, HubError
from dlgrade.hub.roster import RosterError, for_courses, gradebook_csv, parse_roster
from dlgrade.hub.settings import CourseSource, HubSettings, plan, with_source
from dlgrade.hub.template import render

ROSTER = """\
username,role,first_name,last_name,email,courses
prof,instructor,Ada,Lovelace,,
ta-a,ta,Alan,Turing,,dl-a
ta-b,ta,Edsger,Dijkstra,,dl-b
both,student,Grace,Hopper,,dl-a; dl-b
only-a,student,Katherine,Johnson,,dl-a
"""
TOKENS = {"dl-a": "tok-a", "dl-b": "tok-b"}


def members():
    return parse_roster(ROSTER)


def two_courses(tmp_path: Path, **settings):
    sources = [
        CourseSource("dl-a", tmp_path / "repo", "a"),
        CourseSource("dl-b", tmp_path / "repo", "b"),
    ]
    return plan(HubSettings(state_dir=str(tmp_path / "state"), **settings), sources, hub_id="dl-a")


def test_roster_courses_column():
    """Does a row's courses cell name its courses (';'-separated, empty = every course),
    and are old rosters without the column still every course's?"""
    by_name = {m.username: m for m in members()}
    assert by_name["prof"].courses == () and by_name["prof"].in_course("dl-b")
    assert by_name["both"].courses == ("dl-a", "dl-b")
    assert by_name["ta-a"].in_course("dl-a") and not by_name["ta-a"].in_course("dl-b")
    old = parse_roster("username,role\nprof,instructor\ns1,student\n")
    assert all(m.courses == () for m in old)
    with pytest.raises(RosterError, match=":3: invalid course id"):
        parse_roster("username,role,courses\nprof,instructor,\ns1,student,DL/x\n")


def test_roster_for_courses():
    """Are rows only for courses the hub does not serve left out, an unknown course id
    refused, and a course without anyone to grade it refused?"""
    everyone = members()
    kept = for_courses(everyone, ["dl-a"], known=["dl-a", "dl-b"])
    assert {m.username for m in kept} == {"prof", "ta-a", "both", "only-a"}
    with pytest.raises(RosterError, match="dl-b"):
        for_courses(everyone, ["dl-a"])
    no_staff = parse_roster("username,role,courses\nt,ta,dl-a\ns,student,dl-b\n")
    with pytest.raises(RosterError, match="nobody can grade the course dl-b"):
        for_courses(no_staff, ["dl-a", "dl-b"])


def test_gradebook_per_course():
    """Does each course's gradebook get its own students only?"""
    ids = {c: [line.split(",")[0] for line in gradebook_csv(members(), c).splitlines()[1:]]
           for c in ("dl-a", "dl-b")}  # fmt: skip
    assert ids == {"dl-a": ['"both"', '"only-a"'], "dl-b": ['"both"']}


def test_per_course_plans(tmp_path):
    """Does each course get its grader account, course root, service port and groups, with
    one hub, one state dir and one exchange shared?"""
    p = two_courses(tmp_path, service_port=9100)
    a, b = p.courses
    assert (a.grader_user, b.grader_user) == ("grader-dl-a", "grader-dl-b")
    assert b.course_root == Path("/home/grader-dl-b/dl-b")
    assert (a.service_port, b.service_port) == (9100, 9101)
    assert (b.formgrade_group, b.nbgrader_group) == ("formgrade-dl-b", "nbgrader-dl-b")
    assert p.tag == "dl-a" and p.state_dir == tmp_path / "state"
    assert p.exchange_root == tmp_path / "state" / "exchange"
    assert p.course_id == "dl-a" and p.course("dl-b") is b
    assert p.service_pid_file("dl-a") != p.service_pid_file("dl-b")
    assert p.service_token_file("dl-a") != p.service_token_file("dl-b")
    assert len({p.port, p.hub_port, p.proxy_api_port, a.service_port, b.service_port}) == 5
    shared = two_courses(tmp_path, course_root=str(tmp_path / "courses" / "{course_id}"))
    assert shared.courses[1].course_root == tmp_path / "courses" / "dl-b"
    with pytest.raises(ValueError, match="course_root must contain"):
        two_courses(tmp_path, course_root=str(tmp_path / "c"))
    with pytest.raises(ValueError, match="twice"):
        plan(HubSettings(), [CourseSource("dl-a"), CourseSource("dl-a")])


def test_course_hub_takes_the_repository_of_courses_without_one(tmp_path):
    """Do a CourseHub's repository and assignments go to the courses that name none, and is
    a course without any repository, or a roster naming an unknown course, refused?"""
    p = plan(HubSettings(state_dir=str(tmp_path)), [CourseSource("dl-a"), CourseSource("dl-b", tmp_path / "b", "", ("x",))])  # fmt: skip
    filled = with_source(p, tmp_path / "repo", ["hello"])
    assert [(c.source, c.assignments) for c in filled.courses] == [
        (tmp_path / "repo", ("hello",)),
        (tmp_path / "b", ("x",)),
    ]
    with pytest.raises(HubError, match="dl-a"):
        CourseHub(p, members())
    with pytest.raises(RosterError, match="dl-b"):
        CourseHub(plan(HubSettings(state_dir=str(tmp_path)), "dl-a"), members(), tmp_path)


def test_rendered_config_of_two_courses(tmp_path):
    """Does the hub config give each course its formgrade-/nbgrader- groups from the roster's
    courses column, a role opening only its own service to its staff, and its own service
    with its own token, while everyone may log in?"""
    p = two_courses(tmp_path)
    config, _ = load_hub_config(render(p, members(), TOKENS))
    hub = config.JupyterHub
    assert config.Authenticator.allowed_users == {"prof", "ta-a", "ta-b", "both", "only-a"}
    assert hub.load_groups == {
        "formgrade-dl-a": {"users": ["prof", "ta-a"]},
        "nbgrader-dl-a": {"users": ["both", "only-a"]},
        "formgrade-dl-b": {"users": ["prof", "ta-b"]},
        "nbgrader-dl-b": {"users": ["both"]},
    }
    roles = {r["name"]: r for r in hub.load_roles}
    for c, other in (("dl-a", "dl-b"), ("dl-b", "dl-a")):
        staff = roles[f"formgrade-{c}"]
        assert staff["groups"] == [f"formgrade-{c}"]
        assert f"access:services!service={c}" in staff["scopes"]
        assert not [s for s in staff["scopes"] if other in s]
        assert not [s for s in roles[f"nbgrader-{c}"]["scopes"] if s.startswith("access:")]
        assert f"read:services!service={c}" in roles[f"nbgrader-{c}"]["scopes"]
    assert roles["server"]["scopes"] == ["inherit"]
    services = {s["name"]: s for s in hub.services}
    assert set(services) == {"dl-a", "dl-b"}
    assert [services[c]["api_token"] for c in ("dl-a", "dl-b")] == ["tok-a", "tok-b"]
    assert services["dl-b"]["url"] == f"http://127.0.0.1:{p.courses[1].service_port}"

    class FakeSpawner:
        def __init__(self, name):
            self.user = type("U", (), {"name": name})

    pick = config.Spawner.environment["JUPYTER_CONFIG_PATH"]
    assert pick(FakeSpawner("ta-b")) == str(p.jupyter_config_dir("staff"))
    assert pick(FakeSpawner("both")) == str(p.jupyter_config_dir("students"))
    with pytest.raises(ValueError, match="one service token per course"):
        render(p, members(), "tok")


def test_users_config_pins_no_course(tmp_path):
    """Do the users' servers read their courses from the hub's groups (nbgrader's
    JupyterHubAuthPlugin) with no course id pinned, and keep each course's assignments in
    ~/<course_id>/; does the services' shared config pin none either?"""
    p = two_courses(tmp_path)
    course.write_jupyter_configs(p)
    for role in ("staff", "students", "course"):
        text = (p.jupyter_config_dir(role) / "nbgrader_config.py").read_text()
        assert "course_id" not in text
        assert "c.Exchange.path_includes_course = True" in text
        assert f"c.Exchange.root = {str(p.exchange_root)!r}" in text
        plugin = f"c.Authenticator.plugin_class = {course.AUTH_PLUGIN!r}"
        assert (plugin in text) is (role != "course")


def make_repo(repo: Path) -> None:
    """A repository of two courses laid out as this one: `a` at the top, `b` one level down."""
    repo.mkdir(parents=True)
    (repo / "nbgrader_config.py").write_text(
        "import os\nc = get_config()\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n"
        "c.Exchange.root = os.path.join(c.CourseDirectory.root, 'exchange')\n"
        "load_subconfig(os.path.join('courses', 'a', 'nbgrader_config.py'))\n"
    )
    own = (
        "import os\nc = get_config()\n"
        "root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))\n"
        "c.CourseDirectory.course_id = 'dl-{n}'\n"
        "c.CourseDirectory.source_directory = os.path.join('source', '{sub}')\n"
        "c.CourseDirectory.release_directory = os.path.join('release', '{sub}')\n"
        "c.CoursePaths.graders_directory = os.path.join('graders', '{sub}')\n"
        "c.CourseDirectory.db_url = 'sqlite:///' + os.path.join(root, 'gradebook-{n}.db')\n"
    )
    for name, sub in (("a", ""), ("b", "b")):
        (repo / "courses" / name).mkdir(parents=True)
        (repo / "courses" / name / "nbgrader_config.py").write_text(own.format(n=name, sub=sub))
    for rel in ("source/a1", "graders/a1", "source/b/b1", "graders/b/b1", "release/b/b1"):
        (repo / rel).mkdir(parents=True)
        (repo / rel / "f.txt").write_text(rel)
    (repo / "source" / "a1" / "a1.ipynb").write_text("{}")
    (repo / "source" / "b" / "b1" / "b1.ipynb").write_text("{}")


def test_each_course_root_is_its_course(tmp_path):
    """Does each course's copy hold its own folders (b's one level down, as the repository
    has them) and an nbgrader_config.py that, loaded in its course root, is that course:
    its course id, folders, a gradebook in the course root, the shared exchange?"""
    repo = tmp_path / "repo"
    make_repo(repo)
    assert course.available_assignments(repo, "a") == ["a1"]  # source/b is no assignment
    assert course.available_assignments(repo, "b") == ["b1"]
    p = two_courses(tmp_path, course_root=str(tmp_path / "roots" / "{course_id}"))
    for c, assignment in zip(p.courses, ("a1", "b1"), strict=True):
        course.copy_course(repo, p, [assignment], c)
    a_root, b_root = (c.course_root for c in p.courses)
    assert (b_root / "source" / "b" / "b1" / "b1.ipynb").exists()
    assert (b_root / "graders" / "b" / "b1" / "f.txt").read_text() == "graders/b/b1"
    assert not (b_root / "source" / "a1").exists() and not (a_root / "source" / "b").exists()
    loaded = PyFileConfigLoader("nbgrader_config.py", path=str(b_root)).load_config()
    cd = CourseDirectory(config=loaded)
    assert cd.course_id == "dl-b" and cd.source_directory == "source/b"
    assert cd.root == str(b_root)
    assert loaded.CourseDirectory.db_url == f"sqlite:///{b_root / 'gradebook-b.db'}"
    assert loaded.Exchange.root == str(p.exchange_root)
    a_loaded = PyFileConfigLoader("nbgrader_config.py", path=str(a_root)).load_config()
    assert CourseDirectory(config=a_loaded).course_id == "dl-a"
    with pytest.raises(FileNotFoundError):
        course.copy_course(repo, p, ["a1"], p.courses[1])


REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], [("dl-advanced", "advanced", ("energy", "x")), ("dl-intro", "intro", ("x", "y"))]),
        (["--course=intro"], [("dl-intro", "intro", ("energy", "x", "y"))]),
        (["--courses=intro"], [("dl-intro", "intro", ("energy", "x", "y"))]),
    ],
)
def test_app_serves_the_repository_courses(monkeypatch, argv, expected):
    """Does `python -m dlgrade.hub` serve every course of the repository by default, or the
    ones named; with '<course_id>:<assignment>' naming one course's assignments only?"""
    from dlgrade.hub.app import HubApp

    monkeypatch.chdir(REPO)
    app = HubApp()
    named = ["--HubSettings.assignments=energy", "--HubSettings.assignments=x"]
    app.initialize(["status", *argv, *named, "--HubSettings.assignments=dl-intro:y"])
    sources = app.course_sources(HubSettings(parent=app))
    # energy is the advanced course's only; x is no course's (its copy will fail, naming it)
    assert [(s.course_id, s.name, s.assignments) for s in sources] == expected
    assert all(s.source == REPO for s in sources)
