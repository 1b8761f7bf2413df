"""Where students' servers may run: on the hub machine, or as SLURM jobs on the cluster
(batchspawner's SlurmSpawner inside wrapspawner's ProfilesSpawner, see slurmspawner.py)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from traitlets import Enum, Int, Unicode
from traitlets.config import LoggingConfigurable

HUB_PROFILE = "hub"
CPU_PROFILE = "cluster-cpu"
GPU_PROFILE = "cluster-gpu"


class ClusterProfiles(LoggingConfigurable):
    """The cluster profiles the hub offers next to "on the hub machine"."""

    enabled = Enum(
        ["auto", "yes", "no"],
        "auto",
        help="Offer the cluster profiles: 'auto' when a SLURM controller answers `sinfo` on the "
        "hub machine, 'yes' always (the hub refuses to start without one), 'no' never.",
    ).tag(config=True)
    partition = Unicode(
        "", help="Partition of the CPU profile's jobs ('' = the cluster's default partition)."
    ).tag(config=True)
    time = Unicode(
        "2:00:00",
        help="--time of a CPU server job: the server (and unsaved work) ends when it runs out.",
    ).tag(config=True)
    mem = Unicode("4G", help="--mem of a CPU server job (SLURM's units: 512M, 4G).").tag(
        config=True
    )
    cpus = Int(2, help="--cpus-per-task of a CPU server job.").tag(config=True)
    gpu_partition = Unicode(
        "", help="Partition of the GPU profile's jobs ('' = the cluster's default partition)."
    ).tag(config=True)
    gpu_time = Unicode("1:00:00", help="--time of a GPU server job (GPUs are scarce).").tag(
        config=True
    )
    gpu_mem = Unicode("16G", help="--mem of a GPU server job.").tag(config=True)
    gpu_cpus = Int(4, help="--cpus-per-task of a GPU server job.").tag(config=True)
    gres = Unicode(
        "gpu:1",
        help="--gres of a GPU server job; the GPU profile is only offered when "
        "`sinfo -o %G` lists a gpu resource.",
    ).tag(config=True)
    pending_timeout = Int(
        300,
        help="Seconds a server job may take from submission to a running server; after that "
        "the job is cancelled and the student is told its id, state and SLURM's reason.",
    ).tag(config=True)
    hub_ip = Unicode(
        "127.0.0.1",
        help="Address of the hub machine that the compute nodes reach; the hub's internal API "
        "listens on every interface when it is not 127.0.0.1 (which only serves a cluster that "
        "is the hub machine itself, as `make slurm-up` builds).",
    ).tag(config=True)


@dataclass(frozen=True)
class Profile:
    """One cluster profile: the resources of its server jobs."""

    key: str
    display: str
    partition: str
    time: str
    mem: str
    cpus: int
    gres: str = ""


@dataclass(frozen=True)
class ClusterPlan:
    """The cluster profiles resolved for one hub."""

    profiles: tuple[Profile, ...]
    job_name: str
    pending_timeout: int
    hub_ip: str
    runuser: str


class ClusterUnavailable(RuntimeError):
    """Cluster profiles were asked for but no SLURM controller answers."""


def sinfo(*args: str) -> str | None:
    """`sinfo --noheader <args>`'s output, or None when no controller answers."""
    if shutil.which("sinfo") is None:
        return None
    try:
        proc = subprocess.run(
            ["sinfo", "--noheader", *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def has_gpus(gres_column: str) -> bool:
    """Whether `sinfo -o %G` output names a gpu generic resource (`gpu:2`, `gpu:a100:4(S:0)`)."""
    return any(
        part.strip().startswith("gpu")
        for line in gres_column.splitlines()
        for part in line.split(",")
    )


def resolve(settings: ClusterProfiles, course_id: str, strict: bool = True) -> ClusterPlan | None:
    """The profiles to offer, or None when the hub offers only its own machine; `strict`
    False treats 'yes' as 'auto' (stopping a hub never needs the cluster)."""
    if settings.enabled == "no":
        return None
    gres = sinfo("--format=%G")
    if gres is None:
        if settings.enabled == "yes" and strict:
            raise ClusterUnavailable(
                "ClusterProfiles.enabled is 'yes' but no SLURM controller answers `sinfo` "
                "(make slurm-up, or set it to 'auto')"
            )
        return None
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
    if runuser is None:
        raise ClusterUnavailable("runuser (util-linux) is needed to submit jobs as the students")
    s = settings
    profiles = [
        Profile(CPU_PROFILE, f"Cluster CPU ({s.cpus} CPUs, {s.mem}, time limit {s.time})",
                s.partition, s.time, s.mem, s.cpus),
    ]  # fmt: skip
    if has_gpus(gres):
        profiles.append(
            Profile(GPU_PROFILE, f"Cluster GPU (1 GPU, time limit {s.gpu_time})",
                    s.gpu_partition, s.gpu_time, s.gpu_mem, s.gpu_cpus, s.gres)
        )  # fmt: skip
    return ClusterPlan(
        profiles=tuple(profiles),
        job_name=f"jupyterhub-{course_id}",
        pending_timeout=s.pending_timeout,
        hub_ip=s.hub_ip,
        runuser=runuser,
    )


def cancel_server_jobs(users: list[str], job_name: str) -> None:
    """scancel what is left of the hub's server jobs (a hub killed before it stopped them)."""
    if shutil.which("scancel") is None:
        return
    for user in users:
        subprocess.run(
            ["scancel", f"--user={user}", f"--name={job_name}"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
