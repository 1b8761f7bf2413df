"""The cluster profiles' pieces that need no cluster: GPU detection, job messages, the
generated spawner config, and which server options a student may send."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from dlgrade.hub.profiles import CPU_PROFILE, GPU_PROFILE, ClusterPlan, Profile, has_gpus
from dlgrade.hub.roster import parse_roster
from dlgrade.hub.settings import HubSettings, plan
from dlgrade.hub.template import render

slurmspawner = pytest.importorskip("dlgrade.hub.slurmspawner")
web = pytest.importorskip("tornado.web")

MEMBERS = parse_roster("username,role\nprof,instructor\ns1,student\n")
CLUSTER = ClusterPlan(
    profiles=(
        Profile(CPU_PROFILE, "Cluster CPU", "", "2:00:00", "4G", 2),
        Profile(GPU_PROFILE, "Cluster GPU", "gpu", "1:00:00", "16G", 4, "gpu:1"),
    ),
    job_name="jupyterhub-dl101",
    pending_timeout=300,
    hub_ip="10.0.0.5",
    runuser="/usr/sbin/runuser",
)


@pytest.mark.parametrize(
    "column, expected",
    [("(null)\n", False), ("gpu:2\n", True), ("(null)\ngpu:a100:4(S:0-1)\n", True),
     ("craynetwork:4,gpu:1\n", True), ("mps:100\n", False)],
)  # fmt: skip
def test_gpus_from_sinfo(column, expected):
    """Is the GPU profile offered exactly when `sinfo -o %G` lists a gpu resource?"""
    assert has_gpus(column) is expected


def test_job_messages_name_job_state_and_reason():
    """Does a pending job's message carry its id, state and SLURM's reason, explained?"""
    assert slurmspawner.describe("12", "PENDING|(null)|Resources") == (
        "job 12 is PENDING (Resources: the cluster's nodes are busy)"
    )
    assert slurmspawner.describe("12", "RUNNING|node3|None") == "job 12 is RUNNING"
    assert "no longer known" in slurmspawner.describe("12", "slurm_load_jobs error: Invalid")
    assert slurmspawner.parse_status("RUNNING|node3|None") == ("RUNNING", "node3", "None")


def test_cluster_config(tmp_path: Path):
    """Does the generated config offer the hub machine first, then the cluster profiles with
    their resources, submit as the student, and let remote nodes reach the hub's API?"""
    p = plan(HubSettings(state_dir=str(tmp_path)), "dl101", CLUSTER)
    text = render(p, MEMBERS, "token")
    compile(text, "jupyterhub_config.py", "exec")
    assert 'spawner_class = "dlgrade.hub.slurmspawner.CourseProfilesSpawner"' in text
    assert text.index("'hub'") < text.index(f"'{CPU_PROFILE}'") < text.index(f"'{GPU_PROFILE}'")
    assert "'req_gres': 'gpu:1'" in text and "'req_partition': 'gpu'" in text
    assert "exec_prefix = '/usr/sbin/runuser -u {username} --'" in text
    assert f"hub_connect_url = 'http://10.0.0.5:{p.hub_port}'" in text
    assert f"hub_bind_url = 'http://0.0.0.0:{p.hub_port}'" in text
    assert "c.Spawner.start_timeout = 360" in text


def test_no_cluster_config(tmp_path: Path):
    """Without a cluster the hub keeps its own spawner and a loopback-only API."""
    p = plan(HubSettings(state_dir=str(tmp_path)), "dl101")
    text = render(p, MEMBERS, "token")
    assert "slurmspawner" not in text and "hub_connect_url" not in text
    assert f"hub_bind_url = 'http://127.0.0.1:{p.hub_port}'" in text


@pytest.mark.parametrize(
    "options",
    [{"profile": CPU_PROFILE, "gres": "gpu:8"}, {"profile": "cluster-huge"},
     {"cmd": ["/bin/sh"]}, {"profile": CPU_PROFILE, "options": "--qos=high"}],
)  # fmt: skip
def test_only_offered_profiles(options):
    """Is anything but {"profile": <offered>} refused with a 400 before a job is submitted?"""
    spawner = slurmspawner.CourseProfilesSpawner(
        config=Config(),
        profiles=[("Hub", "hub", "jupyterhub.spawner.LocalProcessSpawner", {}),
                  ("CPU", CPU_PROFILE, "dlgrade.hub.slurmspawner.CourseSlurmSpawner", {})]
    )  # fmt: skip
    with pytest.raises(web.HTTPError) as refused:
        spawner.apply_user_options(spawner, options)
    assert refused.value.status_code == 400
    spawner.apply_user_options(spawner, {"profile": CPU_PROFILE})
    spawner.apply_user_options(spawner, {})
