"""Mutation testing of an assignment's graders with the real sandboxed pipeline.

Steps: sample mutants of the reference solution (`dlgrade.authoring.mutants`) → submit
each as a student of a scratch copy of the course → grade the batch (parallel, and
resumable: a mutant that already has a results.json is not graded again) → classify
each against the reference's per-test scores → write `graders/<a>/MUTATION.md` and
`graders/<a>/mutation.json`.

A mutant is *killed* when any test scores less than on the reference (or grading ends in
timeout/crash); it *survives* when every test keeps its points. A survivor must be killed
by a better grader or listed in `graders/<a>/equivalent_mutants.txt` with a reason;
`unexplained_survivors` is what `dlgrade check` enforces.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from traitlets import Integer, Unicode
from traitlets.config import Config, LoggingConfigurable

from dlgrade.authoring.bench import copy_course
from dlgrade.authoring.demo import TIMESTAMP
from dlgrade.authoring.mutants import Mutant, sample_mutants
from dlgrade.authoring.variants import reference_submission, submission_files, write_submission
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder, Progress
from dlgrade.grading.results import Result, Status
from dlgrade.grading.runner import graders_digest
from dlgrade.notebook import grade_id, is_solution, read_notebook, sha256_file
from dlgrade.paths import CoursePaths, atomic_write

REPORT_JSON = "mutation.json"
REPORT_MD = "MUTATION.md"
EQUIVALENTS = "equivalent_mutants.txt"
REFERENCE = "reference"


class MutationRun(LoggingConfigurable):
    """How `dlgrade mutate` samples and grades mutants."""

    max_mutants = Integer(60, help="Mutants sampled per assignment (spread over its cells).").tag(
        config=True
    )
    seed = Integer(0, help="Seed of the mutant sample (the same seed gives the same mutants).").tag(
        config=True
    )
    scratch_directory = Unicode(
        "build/mutate",
        help="Where the scratch course of each run lives (under the course root); kept "
        "between runs so that an interrupted run resumes.",
    ).tag(config=True)


def mutant_notebook(reference: nbformat.NotebookNode, mutant: Mutant) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(reference)
    for cell in nb.cells:
        if grade_id(cell) == mutant.cell:
            cell.source = mutant.source
    return nb


def _stamp(paths: CoursePaths, assignment: str, mutants: list[Mutant]) -> str:
    h = hashlib.sha256()
    h.update(sha256_file(paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb").encode())
    h.update(graders_digest(paths.graders(assignment)).encode())
    h.update(" ".join(m.id for m in mutants).encode())
    return h.hexdigest()


def scratch_course(
    paths: CoursePaths, assignment: str, mutants: list[Mutant], target: Path
) -> tuple[CoursePaths, Config]:
    """The scratch course with every mutant submitted; reused when nothing changed."""
    stamp = _stamp(paths, assignment, mutants)
    stamp_file = target / ".mutation-stamp"
    config = Config(paths.config)
    config.CourseDirectory.root = str(target)
    config.CourseDirectory.db_url = f"sqlite:///{target}/gradebook.db"
    config.Exchange.root = str(target / "exchange")
    if stamp_file.is_file() and stamp_file.read_text() == stamp:
        return CoursePaths(CourseDirectory(config=config), config=config), config
    shutil.rmtree(target, ignore_errors=True)
    scratch, config = copy_course(paths, [assignment], target)
    name = f"{scratch.notebook(assignment)}.ipynb"
    reference = reference_submission(read_notebook(scratch.source(assignment) / name))
    submissions = [(REFERENCE, reference)] + [
        (m.id, mutant_notebook(reference, m)) for m in mutants
    ]
    files = submission_files(scratch.graders(assignment), "reference")
    for student, nb in submissions:
        folder = scratch.submitted(student, assignment)
        write_submission(folder, name, nb, files)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    atomic_write(stamp_file, stamp)
    return scratch, config


def classify(reference: Result, result: Result) -> tuple[str, list[str]]:
    """('killed' | 'survived', the tests that lost points)."""
    if result.status != Status.GRADED:
        return "killed", [f"status {result.status}"]
    ref_scores = {t.id: t.score for t in reference.tests}
    lost = [t.id for t in result.tests if t.score < ref_scores.get(t.id, t.max_score) - 1e-9]
    return ("killed" if lost else "survived"), lost


def run(
    paths: CoursePaths,
    assignment: str,
    settings: MutationRun,
    workers: int,
    progress: Progress | None = None,
) -> dict:
    """Grade a sample of mutants; returns the report (also written next to the graders).
    `progress` as for `Autograder.grade_assignment`."""
    source = read_notebook(paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb")
    mutants = sample_mutants(source, settings.max_mutants, settings.seed)
    target = paths.root / settings.scratch_directory / assignment
    scratch, config = scratch_course(paths, assignment, mutants, target)
    settings.log.info("%s: %d mutants and the reference", assignment, len(mutants))
    config.Autograder.workers = workers
    config.Autograder.force = False  # resumable: what has a results.json stays
    config.Autograder.write_gradebook = False
    Autograder(config=config).grade_assignment(scratch, assignment, progress=progress)
    results = {r.student: r for r in batch.load_results(scratch, assignment)}
    reference = results.get(REFERENCE)
    if reference is None or reference.status != Status.GRADED:
        raise RuntimeError(f"{assignment}: the reference was not graded; fix that first")
    if reference.score < reference.max_score:
        raise RuntimeError(f"{assignment}: the reference does not get full marks; fix that first")
    report = {
        "assignment": assignment,
        "seed": settings.seed,
        "max_mutants": settings.max_mutants,
        "graders_sha256": graders_digest(paths.graders(assignment)),
        "solution_sha256": solution_digest(source),
        "mutants": [],
    }
    for m in mutants:
        result = results.get(m.id)
        outcome, lost = ("killed", ["no result"]) if result is None else classify(reference, result)
        entry = {k: v for k, v in asdict(m).items() if k not in ("source", "original")}
        report["mutants"].append({**entry, "diff": m.diff(), "outcome": outcome, "lost": lost})
    write_report(paths.graders(assignment), report)
    return report


def read_equivalents(graders_dir: Path) -> dict[str, str]:
    """mutant id → reason, from `equivalent_mutants.txt` (`<id> <reason>`, # comments)."""
    path = graders_dir / EQUIVALENTS
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            mutant_id, _, reason = line.partition(" ")
            out[mutant_id] = reason.strip()
    return out


def summary(report: dict, equivalents: dict[str, str]) -> dict:
    mutants = report["mutants"]
    survivors = [m for m in mutants if m["outcome"] == "survived"]
    equivalent = [m for m in survivors if m["id"] in equivalents]
    killed = sum(m["outcome"] == "killed" for m in mutants)
    judged = len(mutants) - len(equivalent)
    return {
        "total": len(mutants),
        "killed": killed,
        "equivalent": len(equivalent),
        "unexplained": [m for m in survivors if m["id"] not in equivalents],
        "score": killed / judged if judged else 1.0,
    }


def write_report(graders_dir: Path, report: dict) -> None:
    atomic_write(graders_dir / REPORT_JSON, json.dumps(report, indent=1) + "\n")
    equivalents = read_equivalents(graders_dir)
    s = summary(report, equivalents)
    a = report["assignment"]
    lines = [
        f"# Mutation testing: {a}",
        "",
        f"Written by `make mutate ASSIGNMENT={a}` (dlgrade.authoring.mutate); do not edit.",
        "",
        f"- mutants graded: {s['total']} (seed {report['seed']}, cap {report['max_mutants']})",
        f"- killed: {s['killed']}",
        f"- equivalent (listed in {EQUIVALENTS}): {s['equivalent']}",
        f"- surviving, unexplained: {len(s['unexplained'])}",
        f"- **mutation score: {100 * s['score']:.1f} %** of non-equivalent mutants killed",
        "",
    ]
    by_operator: dict[str, list[int]] = {}
    for m in report["mutants"]:
        counts = by_operator.setdefault(m["operator"], [0, 0])
        counts[0] += 1
        counts[1] += m["outcome"] == "killed"
    lines += ["| operator | mutants | killed |", "|---|---|---|"]
    lines += [f"| {op} | {n} | {k} |" for op, (n, k) in sorted(by_operator.items())]
    equivalent = [
        m for m in report["mutants"] if m["outcome"] == "survived" and m["id"] in equivalents
    ]
    for title, group in (
        ("Surviving mutants (unexplained)", s["unexplained"]),
        ("Equivalent mutants", equivalent),
    ):
        lines += ["", f"## {title}", ""]
        if not group:
            lines.append("None.")
        for m in group:
            lines += [f"### `{m['id']}` ({m['operator']})", ""]
            if m["id"] in equivalents:
                lines += [f"Why it is equivalent: {equivalents[m['id']]}", ""]
            lines += ["```diff", m["diff"], "```", ""]
    atomic_write(graders_dir / REPORT_MD, "\n".join(lines).rstrip() + "\n")


def solution_digest(source: nbformat.NotebookNode) -> str:
    """What the mutants were made from: the reference's code solution cells, by grade id
    (written answers, markdown solution cells, make no mutants)."""
    h = hashlib.sha256()
    for cell in source.cells:
        if is_solution(cell) and cell.cell_type == "code":
            h.update(f"{grade_id(cell)}\0{cell.source}\0".encode())
    return h.hexdigest()


def last_run(graders_dir: Path) -> dict | None:
    """The report of the last mutation run (`mutation.json`), or None if there is none."""
    path = graders_dir / REPORT_JSON
    return json.loads(path.read_text()) if path.is_file() else None


def stale_mutation_run(paths: CoursePaths, assignment: str) -> list[str]:
    """Problems `dlgrade check` reports when the last run no longer describes the graders:
    graders or solution changed since, or equivalents listed for mutants it did not make."""
    report = last_run(paths.graders(assignment))
    if report is None:
        return []
    source = read_notebook(paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb")
    rerun = f"rerun `make mutate ASSIGNMENT={assignment}`"
    problems = []
    if report.get("graders_sha256") != graders_digest(paths.graders(assignment)):
        problems.append(f"the graders changed since the last mutation run: {rerun}")
    if report.get("solution_sha256") != solution_digest(source):
        problems.append(f"the reference solution changed since the last mutation run: {rerun}")
    made = {m["id"] for m in report["mutants"]}
    problems += [
        f"{EQUIVALENTS} lists {mid}, which the last mutation run did not make"
        for mid in sorted(set(read_equivalents(paths.graders(assignment))) - made)
    ]
    return problems


def unexplained_survivors(graders_dir: Path) -> list[str]:
    """Problems `dlgrade check` reports: survivors of the last run not listed as
    equivalent, and an assignment with graders but no mutation run."""
    report = last_run(graders_dir)
    if report is None:
        return [f"no {REPORT_JSON}: run `make mutate ASSIGNMENT={graders_dir.name}`"]
    equivalents = read_equivalents(graders_dir)
    return [
        f"mutant {m['id']} ({m['operator']} in {m['cell']}) survives and is not in {EQUIVALENTS}"
        for m in summary(report, equivalents)["unexplained"]
    ]
