"""Files a submission holds besides its notebook: declared by the graders, read by intake
as bounded untrusted bytes, judged on the trusted side (`dlgrade.grading.files`)."""

from __future__ import annotations

import json
import os

import pytest

from dlgrade.grading.files import MissingFile, SubmittedFiles, declared_patterns, matches
from dlgrade.grading.intake import Rejected, take

GRADER = '''
import pytest


@pytest.mark.task("test_scale")
@pytest.mark.points(1)
def test_run_settings(submitted_files):
    """The sweep's first run wrote its settings."""
    run = submitted_files.json("results/run0.json")
    assert isinstance(run, dict) and run.get("lr") == 0.1, "results/run0.json has the wrong lr"


@pytest.mark.task("test_scale")
@pytest.mark.points(1)
def test_every_run_wrote_results(submitted_files):
    """One results file per array task."""
    names = submitted_files.names("results/*.json")
    assert len(names) == 2, "the sweep should write one results file per task"
'''


def test_patterns_are_relative_and_match_part_by_part(tmp_path):
    """Is `*` kept inside one path part, and a pattern that climbs out refused?"""
    assert matches("results/a.json", ("results/*.json",))
    assert not matches("results/deep/a.json", ("results/*.json",))
    assert not matches("a.json", ("results/*.json",))
    for bad in ("../secret", "/etc/passwd", "a/../../b", "./x"):
        (tmp_path / "SUBMITTED_FILES").write_text(f"# comment\n{bad}\n")
        with pytest.raises(ValueError):
            declared_patterns(tmp_path)
    (tmp_path / "SUBMITTED_FILES").write_text("train.sbatch  # the job\nresults/*.json\n")
    assert declared_patterns(tmp_path) == ("train.sbatch", "results/*.json")


def test_reader_bounds_what_it_parses():
    """Are NaN, deep nesting, bytes that are no text and absent files failures naming the
    file, never crashes?"""
    files = SubmittedFiles(
        {
            "nan.json": b'{"x": NaN}',
            "deep.json": b"[" * 40 + b"]" * 40,
            "bin.json": b"\xff\xfe",
            "ok.json": b'{"lr": 0.1}',
        },
        left_out=("big.json",),
    )
    assert files.json("ok.json") == {"lr": 0.1}
    for name, phrase in [
        ("nan.json", "not valid JSON"),
        ("deep.json", "nests deeper"),
        ("bin.json", "not UTF-8"),
        ("big.json", "over the size limit"),
        ("gone.json", "not in the submission"),
    ]:
        with pytest.raises(AssertionError, match=phrase):
            files.json(name)
    with pytest.raises(MissingFile):
        files["gone.json"]


def _folder(tmp_path, files: dict[str, bytes]):
    base = tmp_path / "submitted"
    folder = base / "ann" / "a1"
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return base


def test_intake_reads_matching_files_within_limits(tmp_path):
    """Does intake read the nested files that match, leave out one over the per-file limit,
    skip the rest, and still reject a folder holding a link?"""
    base = _folder(
        tmp_path,
        {
            "a1.ipynb": b"{}",
            "results/run0.json": b"{}",
            "results/big.json": b"0" * 5000,
            "results/x/deep.json": b"{}",
            "notes.txt": b"hi",
        },
    )
    got = take(
        base, "ann", "a1", ("a1.ipynb",), patterns=("results/*.json",), max_pattern_file=4096
    )
    assert set(got.files) == {"a1.ipynb", "results/run0.json"}
    assert got.left_out == ("results/big.json",)
    os.symlink("/etc/passwd", base / "ann" / "a1" / "results" / "link.json")
    with pytest.raises(Rejected, match="link"):
        take(base, "ann", "a1", ("a1.ipynb",), patterns=("results/*.json",))


@pytest.mark.slow
def test_graders_judge_submitted_files_in_the_trusted_process(course):
    """Graded for real: the right files earn the points; a missing or malformed file costs
    them with a message naming the file; the file's text never reaches the message."""
    graders = course.paths.graders("hello")
    (graders / "SUBMITTED_FILES").write_text("results/*.json\n")
    (graders / "test_files.py").write_text(GRADER)
    nb = course.notebook("reference")
    good = {"results/run0.json": b'{"lr": 0.1}', "results/run1.json": b'{"lr": 0.2}'}
    course.submit("good", nb, good)
    course.submit("missing", nb, {"results/run1.json": b'{"lr": 0.2}'})
    hostile = json.dumps({"lr": "<script>alert(1)</script> SECRETWORD"}).encode()
    course.submit("hostile", nb, {"results/run0.json": hostile, "results/run1.json": b"{"})
    results = course.grade(workers=2)

    def test(student: str, name: str) -> dict:
        return next(t for t in results[student]["tests"] if t["id"].endswith(name))

    assert results["good"]["score"] == results["good"]["max_score"]
    missing = test("missing", "test_run_settings")
    assert missing["score"] == 0 and "results/run0.json" in missing["output"]
    assert "not in the submission" in missing["output"]
    assert test("missing", "test_every_run_wrote_results")["score"] == 0
    hostile_test = test("hostile", "test_run_settings")
    assert hostile_test["score"] == 0 and "wrong lr" in hostile_test["output"]
    assert "SECRETWORD" not in json.dumps(results["hostile"]) and "<script" not in json.dumps(
        results["hostile"]
    )
