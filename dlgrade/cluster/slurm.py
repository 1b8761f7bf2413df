"""Grade a batch as one SLURM job array: submit → watch → collect → record.

* submit: the batch's submissions are split into array tasks (`submissions_per_task`
  each; 0: one task per slot of `max_parallel`, so each pays the start-up once), written to a manifest in the course's state folder with the run's settings, and
  sent as ``sbatch --array=0-(N-1)%K``. Each task runs ``python -m dlgrade grade-task``,
  which grades its submissions with the same sandbox as a local run and writes their
  results.json atomically to the shared course folder.
* watch: ``squeue``/``sacct`` every `poll_interval` seconds (sooner while a batch is
  young: short batches are not held up by the poll); the array's id is kept in
  ``state.json``, so a run that was interrupted adopts the tasks still queued or running
  instead of submitting them again.
* collect: a finished task's results.json (new since the submission) is its result.
* record: a task that ended without one gets a status from SLURM's state (TIMEOUT →
  timeout, OUT_OF_MEMORY/FAILED/CANCELLED → crashed, with the reason); NODE_FAIL,
  PREEMPTED, BOOT_FAIL and vanished tasks are the cluster's doing and are submitted once
  more before they are recorded. A task of several submissions that ended without some of
  their results has those submitted once more, one per task, so that what SLURM did to
  a task is recorded against the submission that was running, not its neighbours.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import shlex
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from traitlets import Bool, Dict, Float, Integer, List, Unicode
from traitlets.config import Config

from dlgrade.cluster import Executor, Progress
from dlgrade.cluster import slurm_cli as cli
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.intake import Intake
from dlgrade.grading.results import Result, ResultError, Status, read_result
from dlgrade.paths import CoursePaths, atomic_write
from dlgrade.sandbox.backends import get_backend_class

PROFILE_KEYS = ("partition", "time_limit", "mem_mb", "cpus_per_task", "gpus", "extra_args")
MAX_RESULTS_BYTES = 32 * 1024 * 1024


class SlurmExecutor(Executor):
    """Submit each batch as one SLURM job array and collect its results."""

    partition = Unicode("", help="sbatch --partition; empty uses the cluster's default.").tag(
        config=True
    )
    time_limit = Unicode(
        "",
        help="sbatch --time of one array task (minutes, or [D-]HH:MM:SS). Empty derives it "
        "from the Autograder's watchdog limit times the task's submissions, plus 5 minutes.",
    ).tag(config=True)
    mem_mb = Integer(
        4096,
        help="sbatch --mem of one array task, MiB: the sandbox's memory limit plus the "
        "grader process.",
    ).tag(config=True)
    cpus_per_task = Integer(1, help="sbatch --cpus-per-task of one array task.").tag(config=True)
    gpus = Integer(
        -1,
        help="GPUs per array task (sbatch --gres=gpu:N); -1 asks for one when the sandbox "
        "backend's allow_gpu is set and none otherwise.",
    ).tag(config=True)
    max_parallel = Integer(
        0, help="Array tasks running at once (sbatch --array=...%K); 0: as many as fit."
    ).tag(config=True)
    submissions_per_task = Integer(
        1,
        help="Submissions graded one after another by one array task (more per task "
        "spreads the start-up cost; the derived time limit grows with it). 0: as many as "
        "make one task per slot of max_parallel (1 when max_parallel is 0).",
    ).tag(config=True)
    extra_args = List(
        Unicode(), [], help="More sbatch options, e.g. ['--account=dl-course', '--qos=short']."
    ).tag(config=True)
    python = Unicode(
        sys.executable,
        help="Interpreter of the course environment on the nodes (runs `-m dlgrade grade-task`).",
    ).tag(config=True)
    state_directory = Unicode(
        ".dlgrade/slurm",
        help="Folder under the course root for manifests, task logs and the state that "
        "lets an interrupted run resume (on the shared file system).",
    ).tag(config=True)
    poll_interval = Float(
        5.0,
        help="Seconds between two squeue queries (the first ones come sooner: 0.5 s, "
        "doubling up to this).",
    ).tag(config=True)
    results_grace = Float(
        30.0,
        help="Seconds to wait for a finished task's results.json to appear on the shared "
        "file system before the task is recorded from its SLURM state.",
    ).tag(config=True)
    assignment_profiles = Dict(
        value_trait=Dict(),
        help="Per-assignment sbatch settings over the ones above, e.g. {'diffusion': "
        "{'cpus_per_task': 2, 'mem_mb': 6144, 'time_limit': '30'}}; keys: "
        + ", ".join(PROFILE_KEYS)
        + ".",
    ).tag(config=True)
    resubmit_cluster_failures = Bool(
        True, help="Submit once more the tasks lost to NODE_FAIL, PREEMPTED or BOOT_FAIL."
    ).tag(config=True)

    # -- settings ---------------------------------------------------------------------

    def profile(self, assignment: str) -> dict:
        """This assignment's sbatch settings: the traits, then its assignment_profiles."""
        own = self.assignment_profiles.get(assignment, {})
        unknown = sorted(set(own) - set(PROFILE_KEYS))
        if unknown:
            raise ValueError(f"assignment_profiles[{assignment!r}]: unknown keys {unknown}")
        return {key: own.get(key, getattr(self, key)) for key in PROFILE_KEYS}

    def per_task(self, submissions: int) -> int:
        """Submissions per array task for a batch of `submissions`."""
        if self.submissions_per_task > 0:
            return self.submissions_per_task
        if self.max_parallel > 0:
            return max(1, math.ceil(submissions / self.max_parallel))
        return 1

    def time_limit_arg(self, config: Config, assignment: str = "", per_task: int = 0) -> str:
        if limit := str(self.profile(assignment)["time_limit"]):
            return limit
        watchdog = Autograder(config=config).watchdog_seconds() or 3600.0
        per_task = per_task or max(1, self.submissions_per_task)
        return str(math.ceil(watchdog * per_task / 60) + 5)

    def gpu_count(self, config: Config, assignment: str = "") -> int:
        if (gpus := int(self.profile(assignment)["gpus"])) >= 0:
            return gpus
        backend = get_backend_class(Autograder(config=config).sandbox_backend)
        return 1 if backend(config=config).allow_gpu else 0

    def sbatch_args(
        self, config: Config, tasks: int, assignment: str, logs: Path, per_task: int = 0
    ) -> list[str]:
        profile = self.profile(assignment)
        throttle = f"%{self.max_parallel}" if self.max_parallel > 0 else ""
        args = [
            f"--array=0-{tasks - 1}{throttle}",
            f"--job-name=dlgrade-{assignment}",
            f"--output={logs}/%A_%a.log",
            f"--time={self.time_limit_arg(config, assignment, per_task)}",
            f"--mem={int(profile['mem_mb'])}M",
            f"--cpus-per-task={int(profile['cpus_per_task'])}",
            "--no-requeue",
        ]
        if profile["partition"]:
            args.append(f"--partition={profile['partition']}")
        if gpus := self.gpu_count(config, assignment):
            args.append(f"--gres=gpu:{gpus}")
        return [*args, *[str(a) for a in profile["extra_args"]]]

    # -- state ------------------------------------------------------------------------

    def folder(self, paths: CoursePaths, assignment: str) -> Path:
        return paths.root / self.state_directory / assignment

    @contextmanager
    def _locked(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise cli.SlurmError(f"another grading run holds {folder}/lock") from None
            yield
        finally:
            os.close(fd)

    def _load(self, folder: Path) -> dict:
        try:
            state = json.loads((folder / "state.json").read_text())
        except (OSError, ValueError):
            return {"arrays": []}
        return state if isinstance(state.get("arrays"), list) else {"arrays": []}

    def _save(self, folder: Path, state: dict) -> None:
        atomic_write(folder / "state.json", json.dumps(state, indent=1))

    # -- submit -----------------------------------------------------------------------

    def _submit(
        self,
        config: Config,
        paths: CoursePaths,
        folder: Path,
        jobs: list[batch.Job],
        attempt: int,
        per: int = 0,
    ) -> dict:
        per = per or self.per_task(len(jobs))
        tasks = [[j.student for j in jobs[i : i + per]] for i in range(0, len(jobs), per)]
        due = jobs[0].duedate
        manifest = folder / f"array-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.json"
        atomic_write(
            manifest,
            json.dumps(
                {
                    "assignment": jobs[0].assignment,
                    "duedate": due.isoformat() if due else None,
                    "tasks": tasks,
                    "config": plain_config(config),
                },
                indent=1,
            ),
        )
        logs = folder / "logs"
        logs.mkdir(exist_ok=True)
        command = (
            f"exec {shlex.quote(self.python)} -m dlgrade grade-task "
            f"--manifest={shlex.quote(str(manifest))} --index=$SLURM_ARRAY_TASK_ID"
        )
        args = [
            f"--chdir={paths.root}",
            *self.sbatch_args(config, len(tasks), jobs[0].assignment, logs, per),
        ]
        before = {j.student: _stat(paths.results(j.student, j.assignment)) for j in jobs}
        job_id = cli.sbatch(args, command)
        self.log.info(
            "%s: submitted %d submission(s) as SLURM array job %s (%d tasks)",
            jobs[0].assignment,
            len(jobs),
            job_id,
            len(tasks),
        )
        return {
            "job_id": job_id,
            "manifest": manifest.name,
            "tasks": tasks,
            "before": before,
            "attempt": attempt,
            "time_limit": self.time_limit_arg(config, jobs[0].assignment, per),
            "mem_mb": int(self.profile(jobs[0].assignment)["mem_mb"]),
        }

    # -- run --------------------------------------------------------------------------

    def run(self, config, paths, jobs, workers, progress: Progress = None):
        if not jobs:
            return []
        if len({j.assignment for j in jobs}) != 1:
            raise ValueError("one SLURM batch grades one assignment")
        folder = self.folder(paths, jobs[0].assignment)
        with self._locked(folder):
            try:
                return self._run(config, paths, folder, jobs, progress)
            except KeyboardInterrupt:
                self.log.warning(
                    "interrupted: the array tasks keep running; run again to collect them "
                    "(%s/state.json)",
                    folder,
                )
                raise

    def _run(self, config, paths, folder, jobs, progress) -> list[Result]:
        by_student = {j.student: j for j in jobs}
        state = self._load(folder)
        watched: list[tuple[dict, int]] = []
        covered: set[str] = set()
        kept = []
        for entry in state["arrays"]:
            states = cli.task_states(entry["job_id"], len(entry["tasks"]))
            active = [i for i, (s, _) in states.items() if s in cli.ACTIVE]
            if active:
                kept.append(entry)
            for i in active:
                students = [s for s in entry["tasks"][i] if s in by_student]
                if students:
                    watched.append((entry, i))
                    covered.update(students)
        if covered:
            self.log.info("resuming: %d submission(s) already queued or running", len(covered))
        state["arrays"] = kept
        fresh = [j for j in jobs if j.student not in covered]
        if fresh:
            entry = self._submit(config, paths, folder, fresh, attempt=1)
            state["arrays"].append(entry)
            watched += [(entry, i) for i in range(len(entry["tasks"]))]
        self._save(folder, state)
        results = self._watch(config, paths, folder, state, watched, by_student, progress)
        return [results[j.student] for j in jobs if j.student in results]

    def _watch(self, config, paths, folder, state, watched, by_student, progress) -> dict:
        results: dict[str, Result] = {}
        missing_since: dict[tuple[str, int], float] = {}
        pause = min(0.5, self.poll_interval)
        while watched:
            time.sleep(pause)
            pause = min(2 * pause, self.poll_interval)
            states = {}
            for entry in {id(e): e for e, _ in watched}.values():
                try:
                    states[entry["job_id"]] = cli.task_states(entry["job_id"], len(entry["tasks"]))
                except cli.SlurmError as exc:
                    self.log.warning("squeue: %s (trying again)", exc)
            still, again = [], []
            for entry, i in watched:
                task_state = states.get(entry["job_id"], {}).get(i)
                if task_state is None or task_state[0] in cli.ACTIVE:
                    still.append((entry, i))
                    continue
                waiting = False
                for student in entry["tasks"][i]:
                    job = by_student.get(student)
                    if job is None or student in results:
                        continue
                    result = self._collect(paths, job, entry)
                    first_missed = missing_since.setdefault((entry["job_id"], i), time.monotonic())
                    if result is None and time.monotonic() - first_missed < self.results_grace:
                        waiting = True
                        continue
                    if result is None and self._resubmit(entry, i, task_state[0]):
                        again.append(job)
                        continue
                    if result is None:
                        result = self._record(paths, job, entry, i, folder, *task_state)
                    results[student] = result
                    if progress:
                        progress(job, result)
                if waiting:
                    still.append((entry, i))
            if again:
                self.log.warning(
                    "%d submission(s) left without a result (lost to the cluster, or their "
                    "task ended early); submitting them once more, one per task",
                    len(again),
                )
                retry = self._submit(config, paths, folder, again, attempt=2, per=1)
                state["arrays"].append(retry)
                self._save(folder, state)
                still += [(retry, k) for k in range(len(retry["tasks"]))]
            watched = still
        state["arrays"] = [e for e in state["arrays"] if _any_active(e)]
        self._save(folder, state)
        return results

    def _resubmit(self, entry: dict, index: int, slurm_state: str) -> bool:
        """Whether a task's submission left without a result goes once more: lost to the
        cluster, or one of several in a task (then it is graded alone)."""
        if entry["attempt"] != 1:
            return False
        if len(entry["tasks"][index]) > 1:
            return True
        return self.resubmit_cluster_failures and slurm_state in cli.RESUBMITTED

    def _collect(self, paths: CoursePaths, job: batch.Job, entry: dict) -> Result | None:
        """The task's results.json, if one was written since the array was submitted (and
        follows the schema)."""
        path = paths.results(job.student, job.assignment)
        stat = _stat(path)
        if stat is None or stat == entry["before"].get(job.student) or stat[1] > MAX_RESULTS_BYTES:
            return None
        try:
            result = read_result(path)
        except ResultError as err:
            self.log.warning("%s", err)
            return None
        return result if result.student == job.student else None

    def _record(self, paths, job, entry, index, folder, slurm_state, reason) -> Result:
        status, detail = cli.describe(slurm_state, reason, entry["time_limit"], entry["mem_mb"])
        task = f"{entry['job_id']}_{index}"
        log = folder / "logs" / f"{task}.log"
        where = (
            f", log {log.relative_to(paths.root)}"
            if status == Status.CRASHED and log.exists()
            else ""
        )
        detail = f"{detail} (SLURM task {task}{where})"
        return batch._crash_result(paths, job, detail, status, intake=Intake(parent=self))


def _any_active(entry: dict) -> bool:
    """Whether a recorded array still has tasks queued or running (another run's, say)."""
    try:
        states = cli.task_states(entry["job_id"], len(entry["tasks"]))
    except cli.SlurmError:
        return True
    return any(state in cli.ACTIVE for state, _ in states.values())


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def plain_config(config: Config) -> dict:
    """The run's settings as JSON values, for the array tasks (no code, no objects)."""

    def plain(value, where: str):
        if isinstance(value, dict):
            return {str(k): plain(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v, where) for v in value]
        if value is None or isinstance(value, str | int | float | bool):
            return value
        raise cli.SlurmError(
            f"setting {where.lstrip('.')} ({type(value).__name__}) cannot be sent to the "
            "SLURM tasks; set it to a plain value"
        )

    return plain(config, "")
