"""The SLURM executor's pure parts, without a cluster: what it asks sbatch for, how it reads
squeue/sacct lines, and which status each final SLURM state becomes."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from dlgrade.cluster import LocalExecutor, get_executor_class, slurm_cli
from dlgrade.cluster.slurm import SlurmExecutor, plain_config


def test_squeue_lines_expand_pending_ranges_and_ignore_other_jobs():
    lines = [
        "41_0|COMPLETED|None",
        "41_1|RUNNING|None",
        "41_[2-4,7%2]|PENDING|JobArrayTaskLimit",
        "42_5|FAILED|NonZeroExitCode",
        "41_6|CANCELLED by 0|None",
        "garbage",
    ]
    states = slurm_cli.parse_task_lines(lines, "41")
    assert states == {
        0: ("COMPLETED", "None"),
        1: ("RUNNING", "None"),
        2: ("PENDING", "JobArrayTaskLimit"),
        3: ("PENDING", "JobArrayTaskLimit"),
        4: ("PENDING", "JobArrayTaskLimit"),
        7: ("PENDING", "JobArrayTaskLimit"),
        6: ("CANCELLED", "None"),
    }


@pytest.mark.parametrize(
    ("state", "status", "words"),
    [
        ("TIMEOUT", "timeout", "time limit (--time=7)"),
        ("OUT_OF_MEMORY", "crashed", "out of memory (--mem=2048M)"),
        ("CANCELLED", "crashed", "cancelled"),
        ("NODE_FAIL", "crashed", "node failed"),
        ("PREEMPTED", "crashed", "preempted"),
        ("FAILED", "crashed", "failed: NonZeroExitCode"),
        ("COMPLETED", "crashed", "without writing results"),
        ("UNKNOWN", "crashed", "vanished"),
    ],
)
def test_every_final_state_becomes_a_status_with_its_reason(state, status, words):
    got_status, detail = slurm_cli.describe(state, "NonZeroExitCode", "7", 2048)
    assert got_status == status and words in detail


def test_sbatch_asks_for_the_configured_resources():
    cfg = Config()
    cfg.SlurmExecutor.partition = "gpu"
    cfg.SlurmExecutor.max_parallel = 4
    cfg.SlurmExecutor.mem_mb = 6000
    cfg.SlurmExecutor.cpus_per_task = 2
    cfg.SlurmExecutor.extra_args = ["--qos=short"]
    cfg.SandboxBackend.allow_gpu = True
    cfg.Autograder.submission_time_limit = 600.0
    args = SlurmExecutor(config=cfg).sbatch_args(cfg, 48, "attention", Path("/c/logs"))
    assert args[0] == "--array=0-47%4"
    for wanted in ("--mem=6000M", "--cpus-per-task=2", "--partition=gpu", "--gres=gpu:1"):
        assert wanted in args
    assert args[-1] == "--qos=short"
    minutes = int(next(a for a in args if a.startswith("--time=")).removeprefix("--time="))
    assert minutes * 60 >= 600 + 120
    cfg.SandboxBackend.allow_gpu = False
    assert not any(
        a.startswith("--gres")
        for a in SlurmExecutor(config=cfg).sbatch_args(cfg, 3, "attention", Path("/c/logs"))
    )


def test_auto_tasks_are_one_per_slot_and_their_time_limit_grows_with_them():
    cfg = Config()
    cfg.Autograder.submission_time_limit = 600.0
    cfg.SlurmExecutor.submissions_per_task = 0
    cfg.SlurmExecutor.max_parallel = 4
    executor = SlurmExecutor(config=cfg)
    assert [executor.per_task(n) for n in (1, 4, 5, 48)] == [1, 1, 2, 12]
    one, twelve = (int(executor.time_limit_arg(cfg, "attention", k)) for k in (1, 12))
    assert twelve - 5 >= 12 * (one - 5) - 1 and one * 60 >= 600
    cfg.SlurmExecutor.max_parallel = 0
    assert SlurmExecutor(config=cfg).per_task(48) == 1
    cfg.SlurmExecutor.submissions_per_task = 3
    assert SlurmExecutor(config=cfg).per_task(48) == 3


def test_assignment_profiles_override_the_defaults():
    cfg = Config()
    cfg.SlurmExecutor.assignment_profiles = {
        "diffusion": {"cpus_per_task": 2, "mem_mb": 6144, "time_limit": "30", "gpus": 1}
    }
    executor = SlurmExecutor(config=cfg)
    args = executor.sbatch_args(cfg, 2, "diffusion", Path("/c/logs"))
    for wanted in ("--cpus-per-task=2", "--mem=6144M", "--time=30", "--gres=gpu:1"):
        assert wanted in args
    assert "--mem=4096M" in executor.sbatch_args(cfg, 2, "attention", Path("/c/logs"))
    cfg.SlurmExecutor.assignment_profiles = {"energy": {"memory": 1}}
    with pytest.raises(ValueError, match="unknown keys"):
        SlurmExecutor(config=cfg).profile("energy")


def test_settings_reach_the_tasks_as_plain_values_only():
    cfg = Config()
    cfg.Autograder.workers = 2
    cfg.CourseDirectory.include = ["*.ipynb"]
    assert plain_config(cfg) == {
        "Autograder": {"workers": 2},
        "CourseDirectory": {"include": ["*.ipynb"]},
    }
    cfg.Autograder.seed = object()
    with pytest.raises(slurm_cli.SlurmError, match="Autograder.seed"):
        plain_config(cfg)


def test_executors_are_registered_by_name():
    assert get_executor_class("local") is LocalExecutor
    assert get_executor_class("slurm") is SlurmExecutor
    with pytest.raises(KeyError, match="unknown executor"):
        get_executor_class("kubernetes")
