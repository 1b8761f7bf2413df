"""The hub's copies of its courses: each a course root owned by the course's grader account,
its folder of the shared exchange, its gradebook's students; and the per-role Jupyter config
of the users' servers and the courses' services."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from nbgrader.coursedir import CourseDirectory

from dlgrade.courses import CONFIG_FILE, COURSES_FOLDER, load_config
from dlgrade.hub.roster import Member, gradebook_csv
from dlgrade.hub.settings import CoursePlan, HubPlan
from dlgrade.hub.users import run_as
from dlgrade.paths import CoursePaths
from dlgrade.sanitize import FORMGRADER_CSP

HUB_BLOCK = "# ---- added by `python -m dlgrade.hub` for the course hub ----"
# nbgrader's multi-course setup: who may see which course comes from the hub's groups
# (nbgrader-<course_id>, formgrade-<course_id>), so no user's config pins a course id.
AUTH_PLUGIN = "nbgrader.auth.JupyterHubAuthPlugin"

# Lab plugins and server extensions that make no sense in a user's own server:
# the course's formgrader lives in the course service, not in anyone's home.
STAFF_OFF = {
    "labextensions": ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"],
    "server": ["nbgrader.server_extensions.formgrader"],
}
STUDENTS_OFF = {
    "labextensions": [*STAFF_OFF["labextensions"], "@jupyter/nbgrader:course-list"],
    "server": [*STAFF_OFF["server"], "nbgrader.server_extensions.course_list"],
}


def exchange_config(plan: HubPlan) -> str:
    """nbgrader settings every server of the hub shares: the exchange of all its courses
    (a student's copy of an assignment goes to ~/<course_id>/<assignment>)."""
    return (
        f"c.Exchange.root = {str(plan.exchange_root)!r}\n"
        "c.Exchange.path_includes_course = True\n"
        "c.ExchangeSubmit.add_random_string = True\n"
    )


def users_config(plan: HubPlan) -> str:
    """nbgrader settings of the users' own servers: the exchange, and the courses each user
    takes or grades read from the hub's groups (no course id pinned)."""
    return exchange_config(plan) + f"c.Authenticator.plugin_class = {AUTH_PLUGIN!r}\n"


def first(plan: HubPlan, course: CoursePlan | None) -> CoursePlan:
    return course or plan.courses[0]


def course_config(repo_config: str, plan: HubPlan, course: CoursePlan | None = None) -> str:
    """The course's nbgrader_config.py: the repository's root file, then the course's own file
    (courses/<name>/) and the hub's settings (its course id and the shared exchange)."""
    course = first(plan, course)
    base = repo_config.split(HUB_BLOCK)[0].rstrip() + "\n"
    own = ""
    if course.name:
        sub = os.path.join(COURSES_FOLDER, course.name, CONFIG_FILE)
        own = f"load_subconfig({sub!r})  # noqa: F821\n"
    pinned = f"c.CourseDirectory.course_id = {course.course_id!r}\n"
    return f"{base}\n{HUB_BLOCK}\n{own}{pinned}{exchange_config(plan)}"


# Terminals: a plain interactive shell, not a login shell whose /etc/profile would drop
# the course environment (the venv with python, nbgrader and dlgrade) from PATH.
TERMINALS = {"shell_command": ["/bin/bash"]}
ROLES_OFF = {
    "staff": STAFF_OFF,
    "students": STUDENTS_OFF,
    "course": {"labextensions": [], "server": ["nbgrader.server_extensions.formgrader"]},
}
# The course service's formgrader is nbgrader's with autograde done in sandboxes.
ROLES_ON = {"course": ["dlgrade.hub.formgrader"]}


def write_jupyter_configs(plan: HubPlan) -> None:
    """state_dir/jupyter/{staff,students,course}: JUPYTER_CONFIG_PATH of the users' servers
    and of the course service."""
    for role, off in ROLES_OFF.items():
        folder = plan.jupyter_config_dir(role)
        (folder / "labconfig").mkdir(parents=True, exist_ok=True)
        # the services' course id is in their course roots' nbgrader_config.py
        settings = exchange_config(plan) if role == "course" else users_config(plan)
        (folder / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n" + settings, encoding="utf-8"
        )
        server = {
            "ServerApp": {
                "jpserver_extensions": {
                    **dict.fromkeys(off["server"], False),
                    **dict.fromkeys(ROLES_ON.get(role, []), True),
                },
                "terminado_settings": TERMINALS,
            }
        }
        if role == "course":
            # the formgrader shows students' executed notebooks inside the hub's origin
            server["ServerApp"]["tornado_settings"] = {
                "headers": {"Content-Security-Policy": FORMGRADER_CSP}
            }
        (folder / "jupyter_server_config.json").write_text(json.dumps(server, indent=2))
        page = {"disabledExtensions": dict.fromkeys(off["labextensions"], True)}
        (folder / "labconfig" / "page_config.json").write_text(json.dumps(page, indent=2))
    for path in [plan.state_dir / "jupyter", *plan.state_dir.joinpath("jupyter").rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


LAB_SETTINGS = {
    # The hub may have no internet: never ask about or fetch Jupyter news.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def quiet_lab(home: Path, uid: int, gid: int) -> None:
    """Default JupyterLab user settings for a new account (existing files are kept)."""
    base = home / ".jupyter" / "lab" / "user-settings"
    for name, settings in LAB_SETTINGS.items():
        path = base / name
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings, indent=2), encoding="utf-8")
        for p in [path, *path.relative_to(home).parents]:
            os.chown(home / p, uid, gid)


def course_paths(repo: Path, name: str = "") -> CoursePaths:
    """The paths of the course `name` of `repo` ('' = its root nbgrader_config.py's own)."""
    config = load_config(Path(repo), name or None)
    return CoursePaths(CourseDirectory(config=config), config=config)


def course_folders(repo: Path, name: str = "") -> tuple[str, str, str]:
    """(source, release, graders) folders of the course, relative to its root."""
    paths = course_paths(repo, name)
    cd = paths.coursedir
    return cd.source_directory, cd.release_directory, paths.graders_directory


def available_assignments(repo: Path, name: str = "") -> list[str]:
    """Assignments of the course (folders of its source folder holding their notebook)."""
    if not (Path(repo) / CONFIG_FILE).exists():
        return []
    return course_paths(repo, name).assignments()


def copy_course(
    repo: Path, plan: HubPlan, assignments: list[str], course: CoursePlan | None = None
) -> None:
    """Copy nbgrader_config.py (with the course's own file of courses/) and the source,
    release and graders folders of `assignments` into the hub's course root; student work
    already collected there (submitted/, autograded/, ...) stays."""
    course = first(plan, course)
    root = course.course_root
    root.mkdir(parents=True, exist_ok=True)
    (root / CONFIG_FILE).write_text(
        course_config((repo / CONFIG_FILE).read_text(encoding="utf-8"), plan, course),
        encoding="utf-8",
    )
    for own in sorted((repo / COURSES_FOLDER).glob(f"*/{CONFIG_FILE}")):
        dest = root / own.relative_to(repo)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(own, dest)
    folders = course_folders(repo, course.name)
    for assignment in assignments:
        if not (repo / folders[0] / assignment).is_dir():
            raise FileNotFoundError(f"no assignment {assignment!r} in {repo / folders[0]}")
        for folder in folders:
            src, dest = repo / folder / assignment, root / folder / assignment
            if dest.exists():
                shutil.rmtree(dest)
            if src.is_dir():
                shutil.copytree(
                    src, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
                )


def chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def prepare_exchange(plan: HubPlan, uid: int, gid: int, course: CoursePlan | None = None) -> None:
    """Exchange root writable by all (sticky), the course's folder in it owned by its grader
    account (nbgrader's release makes inbound/ there writable, not readable, by others)."""
    course = first(plan, course)
    plan.exchange_root.mkdir(parents=True, exist_ok=True)
    plan.exchange_root.chmod(0o1777)
    folder = plan.exchange_root / course.course_id
    folder.mkdir(exist_ok=True)
    os.chown(folder, uid, gid)
    folder.chmod(0o755)


def as_grader(plan: HubPlan, *args: str, timeout: float = 600, course: CoursePlan | None = None):
    """Run `python -m <args>` as the course's grader account in its course root."""
    course = first(plan, course)
    env = {"PATH": f"{plan.bin}:/usr/local/bin:/usr/bin:/bin"}
    result = run_as(course.grader_user, [str(plan.bin / "python"), "-m", *args],
                    cwd=course.course_root, env=env, check=False, timeout=timeout)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"`python -m {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")
    return result


def load_gradebook(plan: HubPlan, members: list[Member], course: CoursePlan | None = None) -> None:
    """The roster's students of the course into its gradebook."""
    course = first(plan, course)
    roster = course.course_root / ".hub-students.csv"
    roster.write_text(gradebook_csv(members, course.course_id), encoding="utf-8")
    owner = course.course_root.stat()
    os.chown(roster, owner.st_uid, owner.st_gid)
    try:
        as_grader(plan, "nbgrader", "db", "student", "import", roster.name, course=course)
    finally:
        roster.unlink()


def release_assignments(
    plan: HubPlan, assignments: list[str], course: CoursePlan | None = None
) -> None:
    """`dlgrade release` each assignment in the hub's course root: the student version is
    generated and leak-checked there, and its graded cells are registered in the gradebook
    (which is where the autograder's scores land)."""
    for assignment in assignments:
        as_grader(plan, "dlgrade", "release", f"--assignment={assignment}", course=course)
