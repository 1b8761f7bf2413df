"""Students' servers as SLURM jobs: batchspawner's SlurmSpawner and wrapspawner's
ProfilesSpawner, with the resources fixed by the hub's profiles, messages that name the job,
its state and SLURM's reason, and a strict endpoint for the port a job reports.

Imported by the hub's generated jupyterhub_config.py (the hub's environment has batchspawner
and wrapspawner); nothing else in dlgrade needs them.
"""

from __future__ import annotations

import asyncio
import json

from batchspawner import JobStatus, SlurmSpawner, format_template
from jupyterhub import apihandlers
from jupyterhub.apihandlers import APIHandler
from tornado import web
from traitlets import Float, Integer, Unicode, default
from wrapspawner import ProfilesSpawner

from dlgrade.hub.profiles import HUB_PROFILE

BATCH_SCRIPT = """#!/bin/bash
#SBATCH --job-name={{job_name}}
#SBATCH --output={{homedir}}/jupyterhub-cluster-%j.log
#SBATCH --chdir={{homedir}}
#SBATCH --export={{keepvars}}
{% if partition %}#SBATCH --partition={{partition}}
{% endif %}{% if runtime %}#SBATCH --time={{runtime}}
{% endif %}{% if memory %}#SBATCH --mem={{memory}}
{% endif %}{% if gres %}#SBATCH --gres={{gres}}
{% endif %}{% if nprocs %}#SBATCH --cpus-per-task={{nprocs}}
{% endif %}
set -euo pipefail
trap 'echo SIGTERM received' TERM
{% if srun %}{{srun}} {% endif %}{{cmd}}
echo "jupyterhub-singleuser ended gracefully"
"""

REASONS = {
    "Resources": "the cluster's nodes are busy",
    "Priority": "other jobs are ahead in the queue",
    "BeginTime": "its start time has not come",
    "QOSMaxJobsPerUserLimit": "you already run as many jobs as allowed",
    "AssocMaxJobsLimit": "your account runs as many jobs as allowed",
    "ReqNodeNotAvail": "the nodes it needs are not available",
    "PartitionDown": "its partition is down",
}
PORT_RANGE = range(1024, 65536)


class PendingTooLong(Exception):
    """A server job was not running when its start's deadline passed."""


def parse_status(status: str) -> tuple[str, str, str]:
    """`squeue -o '%T|%B|%r'` output → (state, node, reason); ('', '', '') if unreadable."""
    fields = (status or "").strip().split("|")
    if len(fields) != 3 or not fields[0].isupper():
        return "", "", ""
    return fields[0], fields[1], fields[2]


def describe(job_id: str, status: str) -> str:
    """'job 12 is PENDING (Resources: the cluster's nodes are busy)'."""
    state, _, reason = parse_status(status)
    if not state:
        return f"job {job_id} is no longer known to the cluster"
    why = ""
    if reason and reason != "None":
        key = reason.split(",")[0].strip()
        why = f" ({reason}: {REASONS[key]})" if key in REASONS else f" ({reason})"
    return f"job {job_id} is {state}{why}"


class CourseSlurmSpawner(SlurmSpawner):
    """A server job with the profile's resources only: user_options never reach the script."""

    batch_script = Unicode(BATCH_SCRIPT, help="Template of the server job's script.").tag(
        config=True
    )
    batch_query_cmd = Unicode(
        "squeue -h -j {job_id} -o '%T|%B|%r'", help="State, node and reason of the job."
    ).tag(config=True)
    state_exechost_re = Unicode(r"^[A-Z]+\|([\w.-]+)\|", help="The node of a running job.").tag(
        config=True
    )
    req_job_name = Unicode("jupyterhub", help="--job-name of the server jobs.").tag(config=True)
    pending_timeout = Integer(
        300, help="Seconds from submission to a running server before the job is cancelled."
    ).tag(config=True)

    submitted = Unicode(help="Id of the last job this spawner submitted (kept for messages).")
    deadline = Float(None, allow_none=True, help="Loop time at which a pending start gives up.")

    async def _get_batch_script(self, **subvars) -> str:
        trusted = self.get_req_subvars()
        trusted["cmd"] = self.cmd_formatted_for_batch()
        return format_template(self.batch_script, **trusted)

    async def submit_batch_script(self) -> str:
        try:
            job_id = await super().submit_batch_script()
        except RuntimeError as err:
            raise RuntimeError(f"The cluster refused the server job: {err}") from None
        self.submitted = job_id or ""
        return job_id

    async def start(self):
        self.deadline = asyncio.get_running_loop().time() + self.pending_timeout
        try:
            return await super().start()
        except PendingTooLong:
            message = (
                f"Your server did not start within {self.pending_timeout} s: cluster "
                f"{describe(self.job_id, self.job_status)}. The job has been cancelled; try "
                "again later or choose another profile."
            )
            await self.cancel_quietly()
            raise RuntimeError(message) from None
        except RuntimeError as err:
            if "disappeared" not in str(err) or not self.submitted:
                raise
            job_id = self.submitted
            raise RuntimeError(
                f"Cluster job {job_id} ended before your server started; its output is in "
                f"~/jupyterhub-cluster-{job_id}.log"
            ) from None
        finally:
            self.deadline = None

    async def query_job_status(self) -> JobStatus:
        """As batchspawner's, but a start that waits past its deadline stops here (between
        commands, so no squeue is interrupted and the job is never lost)."""
        status = await super().query_job_status()
        late = self.deadline is not None and asyncio.get_running_loop().time() > self.deadline
        if late and status != JobStatus.RUNNING:
            raise PendingTooLong(self.job_id)
        return status

    async def cancel_quietly(self) -> None:
        """scancel the job; one that already ended counts as cancelled."""
        try:
            await self.cancel_batch_job()
        except RuntimeError:
            if await super().query_job_status() in (JobStatus.RUNNING, JobStatus.PENDING):
                raise

    async def stop(self, now: bool = False) -> None:
        if not self.job_id:
            return
        await self.cancel_quietly()
        for _ in range(0 if now else 10):
            if await super().query_job_status() not in (JobStatus.RUNNING, JobStatus.UNKNOWN):
                return
            await asyncio.sleep(1)

    async def progress(self):
        last = ""
        while True:
            state, node, _ = parse_status(self.job_status)
            if state in ("RUNNING", "COMPLETING"):
                yield {"message": f"Cluster job {self.job_id} runs on {node}; starting your server"}
                return
            if self.job_id and state:
                message = f"Waiting in the queue: cluster {describe(self.job_id, self.job_status)}"
            else:
                message = "Submitting your server job to the cluster"
            if message != last:
                yield {"message": message}
                last = message
            await asyncio.sleep(1)


def check_profile(spawner: CourseProfilesSpawner, user_options: dict) -> None:
    """Only {"profile": <an offered key>} (or nothing: the hub machine) is accepted."""
    keys = [p[1] for p in spawner.profiles]
    extra = sorted(set(user_options) - {"profile"})
    if extra:
        raise web.HTTPError(400, f"unknown server options {extra}: only 'profile' is accepted")
    profile = user_options.get("profile", HUB_PROFILE)
    if profile not in keys:
        raise web.HTTPError(400, f"no profile {profile!r}; offered: {', '.join(keys)}")


class CourseProfilesSpawner(ProfilesSpawner):
    """The hub's profiles; a request for anything but an offered profile is refused (400)."""

    @default("apply_user_options")
    def _apply_user_options_default(self):
        return check_profile

    def select_profile(self, profile: str) -> None:
        super().select_profile(profile or HUB_PROFILE)


class PortHandler(APIHandler):
    """POST /hub/api/batchspawner from a starting server job: its port, nothing else.

    batchspawner's own handler sets any attribute the job names on the spawner, so a student's
    job could rewrite the commands the (root) hub runs; this one takes an int port only, from
    the token of a cluster server that is still starting and has not reported one.
    """

    @web.authenticated
    def post(self) -> None:
        token = self.get_auth_token()
        spawners = getattr(self.current_user, "spawners", {})
        spawner = next((s for s in spawners.values() if s.api_token == token), None)
        child = getattr(spawner, "child_spawner", None)
        if not isinstance(child, CourseSlurmSpawner) or spawner.pending != "spawn" or child.port:
            raise web.HTTPError(403, "no cluster server of this token is waiting for its port")
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError:
            body = None
        port = body.get("port") if isinstance(body, dict) and set(body) == {"port"} else None
        if type(port) is not int or port not in PORT_RANGE:
            raise web.HTTPError(400, 'expected {"port": <int 1024-65535>}')
        spawner.port = child.port = port
        self.set_status(201)
        self.finish(json.dumps({"message": "port recorded"}))


def install_port_handler() -> None:
    """Put PortHandler in place of batchspawner's handler in the hub's API routes."""
    routes = apihandlers.default_handlers
    routes[:] = [r for r in routes if r[0] != r"/api/batchspawner"]
    routes.append((r"/api/batchspawner", PortHandler))
