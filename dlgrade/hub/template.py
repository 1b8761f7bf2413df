"""The hub's jupyterhub_config.py, rendered from the plan and the roster."""

from __future__ import annotations

from pprint import pformat
from string import Template

from dlgrade.hub.profiles import HUB_PROFILE
from dlgrade.hub.roster import Member, graders, students
from dlgrade.hub.settings import HubPlan

TEMPLATE = Template('''\
"""JupyterHub for the course $course_id, written by `python -m dlgrade.hub up`.

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
}
$cluster

# nbgrader's groups: formgrade-<course> opens the course service, nbgrader-<course> takes it.
c.JupyterHub.load_groups = {
    $formgrade_group: {"users": $staff_list},
    $nbgrader_group: {"users": $student_list},
}
c.JupyterHub.load_roles = [
    {
        "name": $formgrade_group,
        "groups": [$formgrade_group],
        "scopes": [
            $access_scope,
            "list:services",
            $read_scope,
        ],
    },
    {
        "name": $nbgrader_group,
        "groups": [$nbgrader_group],
        "scopes": ["list:services", $read_scope],
    },
    # nbgrader's course list asks the hub which services its user may open.
    {"name": "server", "scopes": ["inherit"]},
]

# The course service: one shared server in the course root, run as the grader account by
# `python -m dlgrade.hub` (not by the hub, whose 10 s start-up wait is too short on a busy
# machine), with the formgrader and a terminal for `python -m dlgrade autograde`.
c.JupyterHub.services = [
    {
        "name": $course_id_repr,
        "url": $service_url,
        "api_token": $service_token,
        "oauth_no_confirm": True,
        "display": True,
    }
]
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


def render(plan: HubPlan, members: list[Member], service_token: str) -> str:
    """The text of jupyterhub_config.py for `plan` and the roster `members`."""
    staff = sorted(m.username for m in graders(members))
    learners = sorted(m.username for m in students(members))
    path = f"{plan.bin}:/usr/local/bin:/usr/bin:/bin"
    values = {
        "course_id": plan.course_id,
        "course_id_repr": repr(plan.course_id),
        "bind_url": repr(f"http://{plan.ip}:{plan.port}"),
        "hub_bind_url": hub_urls(plan)[0],
        "hub_connect_url": hub_urls(plan)[1],
        "proxy_api_url": repr(f"http://127.0.0.1:{plan.proxy_api_port}"),
        "proxy_command": repr(str(plan.bin / "configurable-http-proxy")),
        "db_url": repr(f"sqlite:///{plan.private_dir / 'jupyterhub.sqlite'}"),
        "cookie_secret_file": repr(str(plan.private_dir / "jupyterhub_cookie_secret")),
        "pid_file": repr(str(plan.pid_file)),
        "all_users": repr(sorted(staff + learners)),
        "staff": repr(staff),
        "staff_list": repr(staff),
        "student_list": repr(learners),
        "staff_config": repr(str(plan.jupyter_config_dir("staff"))),
        "student_config": repr(str(plan.jupyter_config_dir("students"))),
        "singleuser": repr(str(plan.bin / "jupyterhub-singleuser")),
        "start_timeout": repr(plan.start_timeout),
        "path": repr(path),
        "formgrade_group": repr(f"formgrade-{plan.course_id}"),
        "nbgrader_group": repr(f"nbgrader-{plan.course_id}"),
        "access_scope": repr(f"access:services!service={plan.course_id}"),
        "read_scope": repr(f"read:services!service={plan.course_id}"),
        "service_url": repr(f"http://127.0.0.1:{plan.service_port}"),
        "service_token": repr(service_token),
        "cluster": cluster_block(plan),
    }
    return TEMPLATE.substitute(values)
