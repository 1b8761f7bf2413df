"""SLURM's command-line tools, called and parsed: `sbatch`, `squeue`, `sacct`, `scancel`.

Final task states come from `squeue --states=all` while the controller still holds the
job (its `MinJobAge`), then from `sacct` where accounting is enabled; a task neither
knows is reported as ``UNKNOWN``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from dlgrade.grading.results import Status

ACTIVE = frozenset(
    {
        "PENDING",
        "CONFIGURING",
        "RUNNING",
        "COMPLETING",
        "SUSPENDED",
        "REQUEUED",
        "REQUEUE_FED",
        "REQUEUE_HOLD",
        "RESIZING",
        "SIGNALING",
        "STAGE_OUT",
        "RESV_DEL_HOLD",
        "STOPPED",
    }
)
UNKNOWN = "UNKNOWN"
RESUBMITTED = frozenset({"NODE_FAIL", "PREEMPTED", "BOOT_FAIL", UNKNOWN})
"""Final states that are the cluster's doing: the task is submitted once more."""
_TASK = re.compile(r"^(\d+)_(\d+)$")
_RANGE = re.compile(r"^(\d+)_\[([0-9,\-]+)(?:%\d+)?\]$")
COMMAND_TIMEOUT = 60.0


class SlurmError(RuntimeError):
    """A SLURM command failed (the message carries its stderr)."""


def available() -> bool:
    """Whether the SLURM client tools are installed and a controller answers."""
    if shutil.which("sbatch") is None or shutil.which("squeue") is None:
        return False
    try:
        _run(["sinfo", "--noheader", "--format=%t"])
    except SlurmError:
        return False
    return True


def _run(cmd: Sequence[str], check: bool = True) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SlurmError(f"{cmd[0]}: {exc}") from exc
    if check and proc.returncode != 0:
        raise SlurmError(f"{' '.join(cmd[:2])} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc


def sbatch(args: Sequence[str], command: str) -> str:
    """Submit `command` (run by /bin/sh) with sbatch `args`; returns the job id."""
    proc = _run(["sbatch", "--parsable", *args, f"--wrap={command}"])
    job_id = proc.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SlurmError(f"sbatch printed no job id: {proc.stdout.strip()!r}")
    return job_id


def scancel(job_id: str, index: int | None = None) -> None:
    _run(["scancel", job_id if index is None else f"{job_id}_{index}"])


def _base_state(text: str) -> str:
    """`CANCELLED by 0` → `CANCELLED`."""
    return text.strip().split(" ")[0].rstrip("+").upper()


def _expand(spec: str) -> list[int]:
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def parse_task_lines(lines: Sequence[str], job_id: str) -> dict[int, tuple[str, str]]:
    """`<job>_<index>|STATE|reason` lines (squeue %i or sacct JobID) → index: (state, reason).
    Pending ranges (`5_[3-7%2]`) expand to each index; other jobs' lines are ignored."""
    states: dict[int, tuple[str, str]] = {}
    for line in lines:
        fields = line.strip().split("|")
        if len(fields) < 2:
            continue
        ident, state = fields[0].strip(), _base_state(fields[1])
        reason = fields[2].strip() if len(fields) > 2 else ""
        if m := _TASK.match(ident):
            if m.group(1) == job_id:
                states[int(m.group(2))] = (state, reason)
        elif (m := _RANGE.match(ident)) and m.group(1) == job_id:
            for index in _expand(m.group(2)):
                states.setdefault(index, (state, reason))
    return states


def _squeue(job_id: str) -> dict[int, tuple[str, str]] | None:
    proc = _run(
        [
            "squeue",
            f"--jobs={job_id}",
            "--array",
            "--states=all",
            "--noheader",
            "--format=%i|%T|%r",
        ],
        check=False,
    )
    if proc.returncode != 0:
        if "Invalid job id" in proc.stderr:
            return None
        raise SlurmError(f"squeue failed ({proc.returncode}): {proc.stderr.strip()}")
    return parse_task_lines(proc.stdout.splitlines(), job_id)


def _sacct(job_id: str) -> dict[int, tuple[str, str]]:
    if shutil.which("sacct") is None:
        return {}
    proc = _run(
        ["sacct", "--noheader", "--parsable2", "-X", f"--jobs={job_id}", "--format=JobID,State"],
        check=False,
    )
    if proc.returncode != 0:
        return {}
    return parse_task_lines(proc.stdout.splitlines(), job_id)


def task_states(job_id: str, count: int) -> dict[int, tuple[str, str]]:
    """State and reason of each index 0..count-1 of array job `job_id`."""
    states = _squeue(job_id) or {}
    if len(states) < count:
        for index, value in _sacct(job_id).items():
            states.setdefault(index, value)
    return {i: states.get(i, (UNKNOWN, "")) for i in range(count)}


def describe(slurm_state: str, reason: str, time_limit: str, mem_mb: int) -> tuple[Status, str]:
    """(status, status_detail) of a submission whose SLURM task ended without results."""
    timeout, crashed = Status.TIMEOUT, Status.CRASHED
    reasons = {
        "TIMEOUT": (timeout, f"the SLURM task ran past its time limit (--time={time_limit})"),
        "DEADLINE": (timeout, "the SLURM task reached its deadline"),
        "OUT_OF_MEMORY": (crashed, f"the SLURM task ran out of memory (--mem={mem_mb}M)"),
        "CANCELLED": (crashed, "the SLURM task was cancelled (scancel) before it finished"),
        "NODE_FAIL": (crashed, "the cluster node failed while grading, twice"),
        "PREEMPTED": (crashed, "the SLURM task was preempted, twice"),
        "BOOT_FAIL": (crashed, "the cluster node failed to boot, twice"),
        "FAILED": (crashed, "the SLURM task failed"),
        "COMPLETED": (crashed, "the SLURM task ended without writing results"),
        UNKNOWN: (crashed, "the SLURM task vanished from the queue without results"),
    }
    status, detail = reasons.get(slurm_state, (crashed, f"the SLURM task ended {slurm_state}"))
    if slurm_state == "FAILED" and reason and reason not in ("None", slurm_state):
        detail += f": {reason}"
    return status, detail
