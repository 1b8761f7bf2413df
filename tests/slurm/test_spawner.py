"""Students' servers as SLURM jobs through a real local hub (issue 16): spawned through the
hub's REST API with the "cluster CPU" profile, reached through the hub, listed by squeue,
cancelled when stopped; a job that stays pending is cancelled with a message naming it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from dlgrade.hub.profiles import (
    CPU_PROFILE,
    GPU_PROFILE,
    HUB_PROFILE,
    ClusterProfiles,
    has_gpus,
    sinfo,
)
from tests.slurm.hubs import ACTIVE, ClusterHub, jobs_of, node_cpus, running_hub, server_token

pytestmark = pytest.mark.slurm

PENDING_TIMEOUT = 45


@pytest.fixture(scope="module")
def cluster_hub(slurm_cluster) -> Iterator[ClusterHub]:
    """A hub whose CPU profile takes a whole node, so that a second student's server job
    has to wait."""
    profiles = ClusterProfiles(
        enabled="yes", cpus=node_cpus(), mem="1G", time="0:10:00", pending_timeout=PENDING_TIMEOUT
    )
    with running_hub("sp", ["alice", "bob"], profiles) as hub:
        yield hub


def test_cluster_server_through_the_hub(cluster_hub: ClusterHub):
    """Does no profile mean the hub machine; is a "cluster CPU" server a SLURM job of the
    student, reachable through the hub, refused any resources but its profile's, and
    cancelled when stopped; does a job that cannot start end with a message naming it, and
    is it cancelled? Is the GPU profile offered exactly when `sinfo -o %G` lists a gpu?"""
    h = cluster_hub
    alice, bob = h.students
    offered = h.offered_profiles(alice)
    assert {HUB_PROFILE, CPU_PROFILE} <= set(offered), offered
    assert (GPU_PROFILE in offered) == has_gpus(sinfo("--format=%G") or ""), offered
    for options in ({"profile": CPU_PROFILE, "gres": "gpu:8"}, {"profile": "cluster-huge"}):
        status, text = h.api("POST", f"/users/{alice}/server", options)
        assert status == 400, (options, status, text)
        assert not jobs_of(alice, h.job_name)

    status, text = h.api("POST", f"/users/{bob}/server")
    assert status in (201, 202), text
    assert h.wait_server(bob, ready=True, timeout=120)["state"]["profile"] == ""
    assert not jobs_of(bob, h.job_name), "no profile means the hub machine, not a job"
    assert h.api("DELETE", f"/users/{bob}/server")[0] in (202, 204)
    h.wait_server(bob, ready=False, timeout=60)

    job_id = h.start_cluster_server(alice, CPU_PROFILE)
    h.reach(alice)

    # batchspawner's handler would set any attribute a job names (here: the root command
    # prefix of every later sbatch/squeue/scancel); the hub's takes one port while starting.
    evil = urllib.request.Request(
        f"{h.url}/hub/api/batchspawner",
        data=json.dumps({"child_config": {"exec_prefix": "touch /tmp/owned;"}}).encode(),
        method="POST",
        headers={"Authorization": f"token {server_token(alice)}"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(evil, timeout=30)
    assert refused.value.code == 403

    h.cancelled_while_pending(bob, CPU_PROFILE, timeout=PENDING_TIMEOUT)

    h.stop_cluster_server(alice, job_id, {"CANCELLED", "COMPLETED"})
    for student in h.students:
        assert not [r for r in jobs_of(student, h.job_name) if r[3] in ACTIVE]
