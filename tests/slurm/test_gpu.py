"""The GPU paths against a real slurmctld: the hub's "Cluster GPU" profile and a grading
batch with `allow_gpu`, on a node with one gpu GRES (fixture `one_gpu`).

What is real and what is not: on a machine without GPUs that GRES is a placeholder (a gpu
entry in gres.conf whose File= is a placeholder device, made by `scripts/slurm-up.sh` with
SLURM_PLACEHOLDER_GPUS=1; SLURM 22.05 refuses a file-less gpu). slurmctld schedules and
counts it like a device, so the `--gres` directives, the profile and the scheduling are
tested; no job gets a GPU, and CUDA itself is not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dlgrade.hub.profiles import CPU_PROFILE, GPU_PROFILE, HUB_PROFILE, ClusterProfiles
from tests.conftest import score_summary
from tests.slurm.conftest import Graded, array_jobs_run, graded_both_ways, manifests, scontrol_jobs
from tests.slurm.hubs import ClusterHub, running_hub

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

GPU_TIME = "0:07:00"
GPU_PENDING_TIMEOUT = 20
GPU_CONFIG = "\nc.SandboxBackend.allow_gpu = True\nc.SlurmExecutor.gpus = -1\n"


@pytest.fixture(scope="module")
def gpu_hub(one_gpu) -> Iterator[ClusterHub]:
    """A hub started while the node lists its gpu, with small CPU and GPU profiles (one CPU
    and 1G each: a second GPU server can only wait for the GPU)."""
    profiles = ClusterProfiles(
        enabled="yes", cpus=1, mem="1G", gpu_cpus=1, gpu_mem="1G", gpu_time=GPU_TIME,
        gres="gpu:1", pending_timeout=GPU_PENDING_TIMEOUT,
    )  # fmt: skip
    with running_hub("gp", ["alice", "bob"], profiles) as hub:
        yield hub


@pytest.fixture(scope="module")
def gpu_graded(one_gpu) -> Iterator[Graded]:
    with graded_both_ways("--SlurmExecutor.max_parallel=2", config=GPU_CONFIG) as graded:
        yield graded


def test_gpu_profile_server_is_a_gpu_job(gpu_hub: ClusterHub, one_gpu: int):
    """Does the spawn page offer "Cluster GPU" once `sinfo -o %G` lists a gpu; is a server
    spawned with it through the REST API a job asking for gres gpu:1 with the profile's time
    limit, reachable through the hub, and CANCELLED when stopped through the API; does a
    second GPU server wait for the GPU (SLURM's reason: Resources) and end cancelled? The
    GPU is a placeholder: the job's request and its scheduling are real, a CUDA device in
    the server is not."""
    h = gpu_hub
    alice, bob = h.students
    offered = h.offered_profiles(alice)
    assert {HUB_PROFILE, CPU_PROFILE} <= set(offered), offered
    assert offered.get(GPU_PROFILE) == f"Cluster GPU (1 GPU, time limit {GPU_TIME})", offered

    job_id = h.start_cluster_server(alice, GPU_PROFILE)
    (job,) = scontrol_jobs(job_id)
    assert job["TresPerNode"] == "gres:gpu:1", job
    assert job["TimeLimit"] == "00:07:00", job
    assert (job["NumCPUs"], job["MinMemoryNode"]) == ("1", "1G"), job
    h.reach(alice)

    if one_gpu == 1:
        message = h.cancelled_while_pending(bob, GPU_PROFILE, timeout=GPU_PENDING_TIMEOUT)
        assert "PENDING (Resources" in message, message

    h.stop_cluster_server(alice, job_id, {"CANCELLED"})
    assert scontrol_jobs(job_id)[0]["JobState"] == "CANCELLED"


def test_gpu_batch_asks_for_the_gpu_and_scores_as_locally(gpu_graded: Graded, one_gpu: int):
    """With allow_gpu and SlurmExecutor.gpus = -1, is the batch one array whose every task
    asked for gres gpu:1 and COMPLETED, one task at a time when the node has one gpu (the
    `%2` throttle, CPUs and memory would let two run), and are the scores the local
    backend's with the same config? The GRES is a placeholder: the directive and SLURM's
    scheduling of it are tested; the sandboxes (asked to allow a GPU that is not there)
    grade on CPU, and CUDA is not tested."""
    g = gpu_graded
    (manifest,) = manifests(g.cluster)
    assert manifest["config"]["SandboxBackend"]["allow_gpu"] is True
    (job_id,) = array_jobs_run(g.cluster)
    tasks = sorted(scontrol_jobs(job_id), key=lambda t: int(t["ArrayTaskId"]))
    assert [int(t["ArrayTaskId"]) for t in tasks] == list(range(len(g.students)))
    for task in tasks:
        assert (task["TresPerNode"], task["JobState"]) == ("gres:gpu:1", "COMPLETED"), task
    if one_gpu == 1:
        spans = sorted((t["StartTime"], t["EndTime"]) for t in tasks)
        assert all(later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:])), spans

    assert sorted(g.by_slurm) == g.students
    assert g.by_local["ada_reference"]["score"] == g.by_local["ada_reference"]["max_score"] > 0
    for student in g.students:
        assert score_summary(g.by_slurm[student]) == score_summary(g.by_local[student]), student
