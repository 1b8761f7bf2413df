"""JupyterHub for the courses, in Docker (docker/compose.yaml).

Every setting comes from the environment compose passes (docker/.env, written by
scripts/docker-env.sh), so this file is the same on every host:

  DLGRADE_STACK             name of the stack: prefix of its containers, volumes, network
  DLGRADE_COURSES           the courses, a JSON list of {"id", "url", "token"}: nbgrader
                            course id, its formgrader's URL and its service's API token
  DLGRADE_NOTEBOOK_IMAGE    students' image (dlgrade-notebook:latest)
  DLGRADE_NETWORK           the compose stack's private network (dlgrade)
  DLGRADE_EXCHANGE_VOLUME   named volume of the nbgrader exchange (dlgrade-exchange)
  DLGRADE_HOME_VOLUME       per-user home volumes, {username} expanded (dlgrade-home-{username})
  DLGRADE_MEM_LIMIT / DLGRADE_CPU_LIMIT / DLGRADE_SHM_SIZE   per-user limits (8G / 4 / 2g)
  DLGRADE_GPUS              "" (none), "all", or GPU ids "0,1,2,3"
  DLGRADE_GPU_PER_USER      1: pin one GPU per user (ids in turn by user id)
  DLGRADE_START_TIMEOUT     seconds a user's container may take to start (600)
  DLGRADE_CULL_TIMEOUT      seconds of inactivity before a server is stopped (3600; 0: off)
  DLGRADE_AUTHENTICATOR     dummy (shared password, local trial), generic-oauth or lti13
  DLGRADE_HUB_PASSWORD      the dummy authenticator's password (required for dummy)
  DLGRADE_ADMIN_TOKEN       API token of the `dlgrade-admin` service (create users, spawn)
  DLGRADE_ROSTER            roster CSV (username,role,...,courses) inside the hub container,
                            read by the platform's own parser (dlgrade/hub/roster.py)
"""

import json
import os
import sys

import docker.types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from course_roster import RosterError, for_courses, graders, read_roster, students  # noqa: E402

c = get_config()  # noqa: F821
env = os.environ.get

STACK = env("DLGRADE_STACK", "dlgrade")
COURSES = json.loads(env("DLGRADE_COURSES") or "[]")
COURSE_IDS = [course["id"] for course in COURSES]
if not COURSE_IDS:
    sys.exit("DLGRADE_COURSES must list the courses (scripts/docker-env.sh, docker/compose.yaml)")
DATA = "/srv/jupyterhub/data"

# -- the hub ---------------------------------------------------------------------------
c.JupyterHub.bind_url = "http://:8000"
c.JupyterHub.hub_ip = "0.0.0.0"
c.JupyterHub.hub_port = 8081
c.JupyterHub.hub_connect_ip = env("DLGRADE_HUB_HOST", "hub")
c.JupyterHub.db_url = f"sqlite:///{DATA}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{DATA}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{DATA}/jupyterhub-proxy.pid"
c.JupyterHub.cleanup_servers = False  # user containers outlive a hub restart

# -- the roster: who may log in, who takes or grades which course ------------------------
try:
    ROSTER = read_roster(env("DLGRADE_ROSTER", "/srv/jupyterhub/roster.csv"))
    MEMBERS = for_courses(ROSTER, COURSE_IDS)
except RosterError as err:
    sys.exit(str(err))
STAFF = sorted(m.username for m in graders(MEMBERS))
STUDENTS = sorted(m.username for m in students(MEMBERS))
INSTRUCTORS = sorted(m.username for m in MEMBERS if m.role == "instructor")

# -- authentication ----------------------------------------------------------------------
auth = env("DLGRADE_AUTHENTICATOR", "dummy")
if auth == "dummy":
    # local trial only: every roster user logs in with one shared password
    password = env("DLGRADE_HUB_PASSWORD", "")
    if len(password) < 8:
        sys.exit("DLGRADE_HUB_PASSWORD must be set (8+ characters) for the dummy authenticator")
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = password
elif auth == "generic-oauth":
    # a university SSO (Keycloak, Azure AD, Google, ...): OAUTH_* in the environment
    c.JupyterHub.authenticator_class = "generic-oauth"
    c.GenericOAuthenticator.client_id = env("OAUTH_CLIENT_ID")
    c.GenericOAuthenticator.client_secret = env("OAUTH_CLIENT_SECRET")
    c.GenericOAuthenticator.oauth_callback_url = env("OAUTH_CALLBACK_URL")
    c.GenericOAuthenticator.authorize_url = env("OAUTH_AUTHORIZE_URL")
    c.GenericOAuthenticator.token_url = env("OAUTH_TOKEN_URL")
    c.GenericOAuthenticator.userdata_url = env("OAUTH_USERDATA_URL")
    c.GenericOAuthenticator.username_claim = env("OAUTH_USERNAME_CLAIM", "preferred_username")
    c.GenericOAuthenticator.scope = ["openid", "profile", "email"]
elif auth == "lti13":
    # launched from the LMS (Canvas, Moodle): LTI13_* from the LMS's tool registration
    c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
    c.LTI13Authenticator.issuer = env("LTI13_ISSUER")
    c.LTI13Authenticator.client_id = [env("LTI13_CLIENT_ID")]
    c.LTI13Authenticator.authorize_url = env("LTI13_AUTHORIZE_URL")
    c.LTI13Authenticator.jwks_endpoint = env("LTI13_JWKS_URL")
    c.LTI13Authenticator.username_key = env("LTI13_USERNAME_KEY", "email")
else:
    sys.exit(f"unknown DLGRADE_AUTHENTICATOR {auth!r}")
c.Authenticator.allowed_users = set(STAFF + STUDENTS)
c.Authenticator.allow_existing_users = True  # users added in the admin page may log in
c.Authenticator.admin_users = set(INSTRUCTORS)

# -- one container per user --------------------------------------------------------------
c.JupyterHub.spawner_class = "dockerspawner.DockerSpawner"
c.DockerSpawner.image = env("DLGRADE_NOTEBOOK_IMAGE", "dlgrade-notebook:latest")
c.DockerSpawner.network_name = env("DLGRADE_NETWORK", STACK)
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True  # the container goes, the home volume stays
c.DockerSpawner.name_template = STACK + "-{username}"
c.DockerSpawner.notebook_dir = "/home/{username}"
c.DockerSpawner.volumes = {
    env("DLGRADE_HOME_VOLUME", STACK + "-home-{username}"): "/home/{username}",
    env("DLGRADE_EXCHANGE_VOLUME", STACK + "-exchange"): "/srv/nbgrader/exchange",
}
# started as root only to create the user's own account (name and uid), then dropped to
# it by the image's entry point; no other privilege survives
c.DockerSpawner.extra_create_kwargs = {"user": "root"}
c.DockerSpawner.cmd = ["jupyterhub-singleuser"]
UID_BASE = int(env("DLGRADE_UID_BASE", "30000"))
c.DockerSpawner.environment = {
    "NB_USER": lambda spawner: spawner.user.name,
    "NB_UID": lambda spawner: str(UID_BASE + spawner.user.id),
    "NB_GID": lambda spawner: str(UID_BASE + spawner.user.id),
    "NBGRADER_EXCHANGE": "/srv/nbgrader/exchange",
}
c.DockerSpawner.mem_limit = env("DLGRADE_MEM_LIMIT", "8G")
c.DockerSpawner.cpu_limit = float(env("DLGRADE_CPU_LIMIT", "4"))
HOST_CONFIG = {
    "shm_size": env("DLGRADE_SHM_SIZE", "2g"),
    "pids_limit": int(env("DLGRADE_PIDS_LIMIT", "4096")),
    "cap_drop": ["ALL"],
    "cap_add": ["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID"],
    "security_opt": ["no-new-privileges"],
}
c.DockerSpawner.extra_host_config = HOST_CONFIG
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = int(env("DLGRADE_START_TIMEOUT", "600"))
c.Spawner.http_timeout = int(env("DLGRADE_START_TIMEOUT", "600"))

GPUS = [g for g in env("DLGRADE_GPUS", "").split(",") if g.strip()]
PIN_GPU = env("DLGRADE_GPU_PER_USER", "") == "1"


def gpu_requests(spawner) -> list:
    """DockerSpawner device requests: none, all GPUs, or one pinned GPU per user."""
    if not GPUS:
        return []
    if GPUS == ["all"]:
        return [docker.types.DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if PIN_GPU:
        device = GPUS[spawner.user.id % len(GPUS)]
        return [docker.types.DeviceRequest(device_ids=[device], capabilities=[["gpu"]])]
    return [docker.types.DeviceRequest(device_ids=GPUS, capabilities=[["gpu"]])]


def pre_spawn_hook(spawner):
    requests = gpu_requests(spawner)
    spawner.extra_host_config = {
        **HOST_CONFIG,
        **({"device_requests": requests} if requests else {}),
    }


c.Spawner.pre_spawn_hook = pre_spawn_hook

# -- nbgrader's multi-course setup: per course two groups, two roles and its formgrader ---
# A student's server pins no course: nbgrader's JupyterHubAuthPlugin lists the courses of
# the user's nbgrader-<course> and formgrade-<course> groups.
c.JupyterHub.load_groups = {}
services = []
roles = [
    # nbgrader's course list asks the hub, with the server's token, for the user's services
    {"name": "server", "scopes": ["inherit"]},
]
for course in COURSES:
    cid = course["id"]
    c.JupyterHub.load_groups[f"formgrade-{cid}"] = {
        "users": sorted(m.username for m in graders(MEMBERS, cid))
    }
    c.JupyterHub.load_groups[f"nbgrader-{cid}"] = {
        "users": sorted(m.username for m in students(MEMBERS, cid))
    }
    roles += [
        {
            "name": f"formgrade-{cid}",
            "groups": [f"formgrade-{cid}"],
            "scopes": [
                f"access:services!service={cid}",
                "list:services",
                f"read:services!service={cid}",
            ],
        },
        {
            "name": f"nbgrader-{cid}",
            "groups": [f"nbgrader-{cid}"],
            "scopes": ["list:services", f"read:services!service={cid}"],
        },
    ]
    services.append(
        {
            "name": cid,
            "url": course["url"],
            "api_token": course["token"],
            "oauth_no_confirm": True,
            "display": True,
        }
    )
if env("DLGRADE_ADMIN_TOKEN"):
    # for scripts and `make docker-test`: add users, start and stop their servers
    services.append({"name": "dlgrade-admin", "api_token": env("DLGRADE_ADMIN_TOKEN")})
    roles.append(
        {
            "name": "dlgrade-admin",
            "services": ["dlgrade-admin"],
            "scopes": [
                "admin:users",
                "admin:servers",
                "admin:groups",
                "access:servers",
                "access:services",
                "list:services",
                "read:users",
                "list:users",
                "tokens",
            ],
        }
    )
cull = int(env("DLGRADE_CULL_TIMEOUT", "3600"))
if cull > 0:
    services.append(
        {
            "name": "idle-culler",
            "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull}"],
        }
    )
    roles.append(
        {
            "name": "idle-culler",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        }
    )
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
