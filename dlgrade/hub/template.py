"""The hub's jupyterhub_config.py, rendered from the plan and the roster."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from pprint import pformat
from string import Template

from dlgrade.hub import course
from dlgrade.hub.profiles import HUB_PROFILE
from dlgrade.hub.roster import Member, graders, students
from dlgrade.hub.settings import CoursePlan, HubPlan

TEMPLATE = Template('''\
"""JupyterHub for the courses $course_ids, written by `python -m dlgrade.hub up`.

Change c.HubSettings.* in the course's nbgrader_config.py (or the roster) and run it
again instead of editing this file.
"""

c = get_config()  # noqa: F821

c.JupyterHub.bind_url = $bind_url
c.JupyterHub.hub_bind_url = $hub_bind_url$hub_connect_url
c.ConfigurableHTTPProxy.api_url = $proxy_api_url
c.ConfigurableHTTPProxy.command = [$proxy_command]
c.JupyterHub.db_url = $db_url
c.JupyterHub.cookie_secret_file = $cookie_secret_file
c.JupyterHub.pid_file = $pid_file
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Real Unix accounts, password login through PAM; only the roster may log in.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set($all_users)
c.Authenticator.admin_users = set()

# Who grades any course (a TA of one course may be a student of another).
STAFF = set($staff)


def jupyter_config_path(spawner):
    """Staff and students get different nbgrader extensions (see state_dir/jupyter/)."""
    return $staff_config if spawner.user.name in STAFF else $student_config


c.JupyterHub.spawner_class = "localprocess"
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [$singleuser]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = $start_timeout
c.Spawner.http_timeout = $start_timeout
c.Spawner.environment = {
    "PATH": $path,
    "LANG": "C.UTF-8",
    "JUPYTER_CONFIG_PATH": jupyter_config_path,
    # where `dlgrade.compete.client.submit` sends a competition entry: course id -> the
    # leaderboard service's own address (the server's token authenticates the user)
    "DLGRADE_COMPETITIONS": $competitions,
}
$cluster

# nbgrader's groups, per course: formgrade-<course_id> opens that course's service (its
# formgrader), nbgrader-<course_id> takes the course. nbgrader's JupyterHubAuthPlugin (in the
# users' nbgrader config) reads a user's courses from these groups.
c.JupyterHub.load_groups = $groups
c.JupyterHub.load_roles = $roles

# The courses' services: each one shared server in its course root, run as the course's
# grader account by `python -m dlgrade.hub` (not by the hub, whose 10 s start-up wait is too
# short on a busy machine), with the formgrader and a terminal for `python -m dlgrade
# autograde`. A course with the competition also has its leaderboard, compete-<course_id>,
# started by the hub as the course's grader account in its course root.
c.JupyterHub.services = $services
''')


CLUSTER = Template("""
# Where a student's server runs: this machine, or a SLURM job on the cluster with the same
# course environment (the venv and JUPYTER_CONFIG_PATH must have the same paths on the nodes).
from dlgrade.hub import slurmspawner  # noqa: E402

slurmspawner.install_port_handler()
c.JupyterHub.spawner_class = "dlgrade.hub.slurmspawner.CourseProfilesSpawner"
c.Spawner.start_timeout = $start_timeout
c.CourseSlurmSpawner.exec_prefix = $exec_prefix
c.CourseSlurmSpawner.batchspawner_singleuser_cmd = $singleuser
c.CourseSlurmSpawner.req_job_name = $job_name
c.CourseSlurmSpawner.pending_timeout = $pending_timeout
c.ProfilesSpawner.profiles = $profiles
""")


def cluster_block(plan: HubPlan) -> str:
    """The spawner settings of the cluster profiles ('' without a cluster)."""
    cluster = plan.cluster
    if cluster is None:
        return ""
    profiles = [("On the hub machine", HUB_PROFILE, "jupyterhub.spawner.LocalProcessSpawner", {})]
    for p in cluster.profiles:
        resources = {
            "req_partition": p.partition,
            "req_runtime": p.time,
            "req_memory": p.mem,
            "req_nprocs": str(p.cpus),
            "req_gres": p.gres,
        }
        profiles.append(
            (p.display, p.key, "dlgrade.hub.slurmspawner.CourseSlurmSpawner", resources)
        )
    return CLUSTER.substitute(
        start_timeout=repr(max(plan.start_timeout, cluster.pending_timeout + 60)),
        exec_prefix=repr(f"{cluster.runuser} -u {{username}} --"),
        singleuser=repr(str(plan.bin / "batchspawner-singleuser")),
        job_name=repr(cluster.job_name),
        pending_timeout=repr(cluster.pending_timeout),
        profiles=pformat(profiles, width=90),
    )


def hub_urls(plan: HubPlan) -> tuple[str, str]:
    """(hub_bind_url, the hub_connect_url line): the nodes of a remote cluster reach the
    hub's API at ClusterProfiles.hub_ip, this machine's processes at 127.0.0.1."""
    ip = plan.cluster.hub_ip if plan.cluster else "127.0.0.1"
    if ip in ("127.0.0.1", "localhost"):
        return repr(f"http://127.0.0.1:{plan.hub_port}"), ""
    connect = f"\nc.JupyterHub.hub_connect_url = {f'http://{ip}:{plan.hub_port}'!r}"
    return repr(f"http://0.0.0.0:{plan.hub_port}"), connect


def groups(plan: HubPlan, members: list[Member]) -> dict[str, dict[str, list[str]]]:
    """formgrade-<course_id> (its instructors and TAs) and nbgrader-<course_id> (its
    students) of every course."""
    out = {}
    for c in plan.courses:
        out[c.formgrade_group] = {
            "users": sorted(m.username for m in graders(members, c.course_id))
        }
        out[c.nbgrader_group] = {
            "users": sorted(m.username for m in students(members, c.course_id))
        }
    return out


def competition_courses(plan: HubPlan) -> list[CoursePlan]:
    """The courses that run the competition: HubPlan.competition is among the assignments
    copied to the hub and its graders folder holds competition.json."""
    if not plan.competition:
        return []
    out = []
    for c in plan.courses:
        if c.source is None:
            continue
        source = Path(c.source)
        assignments = c.assignments or tuple(course.available_assignments(source, c.name))
        if plan.competition not in assignments:
            continue
        graders = course.course_folders(source, c.name)[2]
        if (source / graders / plan.competition / "competition.json").is_file():
            out.append(c)
    return out


def roles(plan: HubPlan) -> list[dict]:
    """Per course: its staff may open (and find) its service, its students find it; both
    open (and find) its leaderboard where it has one."""
    out: list[dict] = []
    competing = {c.course_id for c in competition_courses(plan)}
    for c in plan.courses:
        find = ["list:services", f"read:services!service={c.course_id}"]
        board: list[str] = []
        if c.course_id in competing:
            board = [
                f"access:services!service={c.compete_service}",
                f"read:services!service={c.compete_service}",
            ]
        out.append(
            {
                "name": c.formgrade_group,
                "groups": [c.formgrade_group],
                "scopes": [f"access:services!service={c.course_id}", *find, *board],
            }
        )
        out.append(
            {"name": c.nbgrader_group, "groups": [c.nbgrader_group], "scopes": [*find, *board]}
        )
    # nbgrader's course and assignment lists ask the hub, with the server's token, for the
    # user's groups and the services they may open: the server acts as its user.
    out.append({"name": "server", "scopes": ["inherit"]})
    return out


def services(plan: HubPlan, tokens: Mapping[str, str]) -> list[dict]:
    out = [
        {
            "name": c.course_id,
            "url": f"http://127.0.0.1:{c.service_port}",
            "api_token": tokens[c.course_id],
            "oauth_no_confirm": True,
            "display": True,
        }
        for c in plan.courses
    ]
    return out + [compete_service(plan, c) for c in competition_courses(plan)]


def compete_service(plan: HubPlan, c: CoursePlan) -> dict:
    """The course's leaderboard (`python -m dlgrade.compete serve`), managed by the hub: run
    as the course's grader account in its course root (where the hidden split's seed, the
    competition's database and the gradebook are), its evaluation worker beside it."""
    return {
        "name": c.compete_service,
        "url": f"http://127.0.0.1:{c.compete_port}",
        "command": [
            str(plan.bin / "python"),
            "-m",
            "dlgrade.compete",
            "serve",
            f"--assignment={plan.competition}",
            f"--staff-group={c.formgrade_group}",
            f"--student-group={c.nbgrader_group}",
        ],
        "user": c.grader_user,
        "cwd": str(c.course_root),
        "environment": {"PATH": f"{plan.bin}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
        "oauth_no_confirm": True,
        "display": True,
    }


def competition_urls(plan: HubPlan) -> dict[str, str]:
    """course id -> the address a user's server submits to (the service's own port)."""
    return {
        c.course_id: f"http://127.0.0.1:{c.compete_port}/services/{c.compete_service}/"
        for c in competition_courses(plan)
    }


def render(plan: HubPlan, members: list[Member], tokens: Mapping[str, str] | str) -> str:
    """The text of jupyterhub_config.py for `plan` and the roster `members`; `tokens` are
    the courses' service tokens by course id (a hub of one course: its token)."""
    if isinstance(tokens, str):
        if len(plan.courses) != 1:
            raise ValueError("a hub of several courses needs one service token per course")
        tokens = {plan.course_id: tokens}
    staff = sorted({m.username for m in graders(members)})
    everyone = sorted({m.username for m in members})
    path = f"{plan.bin}:/usr/local/bin:/usr/bin:/bin"
    values = {
        "course_ids": ", ".join(c.course_id for c in plan.courses),
        "bind_url": repr(f"http://{plan.ip}:{plan.port}"),
        "hub_bind_url": hub_urls(plan)[0],
        "hub_connect_url": hub_urls(plan)[1],
        "proxy_api_url": repr(f"http://127.0.0.1:{plan.proxy_api_port}"),
        "proxy_command": repr(str(plan.bin / "configurable-http-proxy")),
        "db_url": repr(f"sqlite:///{plan.private_dir / 'jupyterhub.sqlite'}"),
        "cookie_secret_file": repr(str(plan.private_dir / "jupyterhub_cookie_secret")),
        "pid_file": repr(str(plan.pid_file)),
        "all_users": repr(everyone),
        "staff": repr(staff),
        "staff_config": repr(str(plan.jupyter_config_dir("staff"))),
        "student_config": repr(str(plan.jupyter_config_dir("students"))),
        "singleuser": repr(str(plan.bin / "jupyterhub-singleuser")),
        "start_timeout": repr(plan.start_timeout),
        "path": repr(path),
        "groups": pformat(groups(plan, members), width=90, sort_dicts=False),
        "roles": pformat(roles(plan), width=90, sort_dicts=False),
        "services": pformat(services(plan, tokens), width=90, sort_dicts=False),
        "cluster": cluster_block(plan),
        "competitions": repr(json.dumps(competition_urls(plan))),
    }
    return TEMPLATE.substitute(values)
