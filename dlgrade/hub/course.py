"""The hub's copy of the course: a course root owned by the grader account, the exchange,
the gradebook's students, and the per-role Jupyter config of the users' servers."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dlgrade.hub.roster import Member, gradebook_csv
from dlgrade.hub.settings import HubPlan
from dlgrade.hub.users import run_as
from dlgrade.sanitize import FORMGRADER_CSP

HUB_BLOCK = "# ---- added by `python -m dlgrade.hub` for the course hub ----"
COURSE_FOLDERS = ("source", "release", "graders")

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
    """nbgrader settings every hub user shares: the course and the exchange."""
    return (
        f"c.CourseDirectory.course_id = {plan.course_id!r}\n"
        f"c.Exchange.root = {str(plan.exchange_root)!r}\n"
        "c.ExchangeSubmit.add_random_string = True\n"
    )


def course_config(repo_config: str, plan: HubPlan) -> str:
    """The course's nbgrader_config.py with the hub's exchange settings appended."""
    base = repo_config.split(HUB_BLOCK)[0].rstrip() + "\n"
    return f"{base}\n{HUB_BLOCK}\n{exchange_config(plan)}"


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
        (folder / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n" + exchange_config(plan), encoding="utf-8"
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


def available_assignments(repo: Path) -> list[str]:
    source = repo / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def copy_course(repo: Path, plan: HubPlan, assignments: list[str]) -> None:
    """Copy nbgrader_config.py and source/, release/, graders/ of `assignments` into the hub's
    course root; student work already collected there (submitted/, autograded/, ...) stays."""
    root = plan.course_root
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(
        course_config((repo / "nbgrader_config.py").read_text(encoding="utf-8"), plan),
        encoding="utf-8",
    )
    for assignment in assignments:
        if not (repo / "source" / assignment).is_dir():
            raise FileNotFoundError(f"no assignment {assignment!r} in {repo / 'source'}")
        for folder in COURSE_FOLDERS:
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


def prepare_exchange(plan: HubPlan, uid: int, gid: int) -> None:
    """Exchange root writable by all (sticky), the course folder in it owned by the graders."""
    plan.exchange_root.mkdir(parents=True, exist_ok=True)
    plan.exchange_root.chmod(0o1777)
    course = plan.exchange_root / plan.course_id
    course.mkdir(exist_ok=True)
    os.chown(course, uid, gid)
    course.chmod(0o755)


def as_grader(plan: HubPlan, *args: str, timeout: float = 600):
    """Run `python -m <args>` as the grader account in the course root."""
    env = {"PATH": f"{plan.bin}:/usr/local/bin:/usr/bin:/bin"}
    result = run_as(plan.grader_user, [str(plan.bin / "python"), "-m", *args],
                    cwd=plan.course_root, env=env, check=False, timeout=timeout)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"`python -m {' '.join(args)}` failed:\n{result.stdout}{result.stderr}")
    return result


def load_gradebook(plan: HubPlan, members: list[Member]) -> None:
    """The roster's students into the course's gradebook."""
    roster = plan.course_root / ".hub-students.csv"
    roster.write_text(gradebook_csv(members), encoding="utf-8")
    os.chown(roster, plan.course_root.stat().st_uid, plan.course_root.stat().st_gid)
    try:
        as_grader(plan, "nbgrader", "db", "student", "import", roster.name)
    finally:
        roster.unlink()


def release_assignments(plan: HubPlan, assignments: list[str]) -> None:
    """`dlgrade release` each assignment in the hub's course root: the student version is
    generated and leak-checked there, and its graded cells are registered in the gradebook
    (which is where the autograder's scores land)."""
    for assignment in assignments:
        as_grader(plan, "dlgrade", "release", f"--assignment={assignment}")
