"""The hidden split's labels and seeds never leave the grading side."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from dlgrade.compete import evaluate
from dlgrade.sandbox.backends.base import SandboxProcess
from dlgrade.sandbox.backends.local import LocalSandbox
from tests.conftest import REPO
from tests.probe import get, probe_session

CONFIG = REPO / "graders" / "represent" / evaluate.CONFIG_NAME


def hidden_seeds() -> list[int]:
    config = json.loads(CONFIG.read_text())
    return [config["probe"]["seed"], config["test"]["seed"], config["public_seed"]]


def label_encodings(y: np.ndarray) -> list[bytes]:
    """The ways a label array could travel: raw in every integer and float dtype, and
    as JSON text."""
    found = [y.astype(dt).tobytes() for dt in ("<i8", "<i4", "<i2", "u1", "<f4", "<f8")]
    found += [y.astype(">i8").tobytes()]
    found += [json.dumps(y[:64].tolist())[1:-1].encode()]
    found += [",".join(map(str, y[:64].tolist())).encode()]
    return found


@pytest.mark.slow
def test_the_sandbox_never_receives_labels(hidden, local_backend, random_small, monkeypatch):
    """Every frame the trusted side writes to the sandbox process, recorded at the real
    SandboxProcess.send: the inputs are there, no label array is."""
    sent: list[bytes] = []
    real_send = SandboxProcess.send

    def recording(self, header_bytes, blobs, deadline):
        sent.append(bytes(header_bytes) + b"".join(bytes(b) for b in blobs))
        return real_send(self, header_bytes, blobs, deadline)

    monkeypatch.setattr(SandboxProcess, "send", recording)
    scores = evaluate.evaluate(random_small, hidden, local_backend)
    assert 0.0 <= scores.probe_public <= 1.0
    frames = b"".join(sent)
    assert hidden.test_x.tobytes() in frames and hidden.probe_x.tobytes() in frames
    assert random_small.weights in frames
    for y in (hidden.probe_y, hidden.test_y):
        for encoding in label_encodings(y):
            assert encoding not in frames
    assert hidden.public.tobytes() not in frames
    assert all(str(seed).encode() not in frames for seed in hidden_seeds())


def test_the_sandbox_is_told_to_hide_the_graders():
    job = evaluate._job("compete-small")
    graders = str(CONFIG.parent.parent)
    assert graders in job.hide
    allow = LocalSandbox().allowlist(None)
    allow.refuse_exposed(job.hide)  # would raise if a bound folder held the graders
    for source in allow.sources():
        assert not str(CONFIG).startswith(source.rstrip("/") + "/")


@pytest.mark.slow
def test_the_sandbox_cannot_see_the_competition_config(local_backend):
    code = f"import os\nfacts = [os.path.exists({str(CONFIG)!r}), os.path.exists({str(CONFIG.parent)!r})]\n"
    session = probe_session(local_backend, code)
    try:
        assert get(session, "facts") == [False, False]
    finally:
        session.close()


def student_visible_files() -> list[Path]:
    """release/, and what the images' build context copies (scripts/docker-build.sh: the
    dlgrade package and pyproject.toml as platform/, docker/<image>/ and the pinned
    requirements), plus a built context if one is cached."""
    roots = [REPO / "release", REPO / "docker", REPO / "dlgrade", REPO / "pyproject.toml"]
    found = []
    for root in roots:
        if root.is_file():
            found.append(root)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("__pycache__", "wheels")]
            found += [Path(folder) / name for name in files]
    return found


def test_build_script_copies_only_what_is_scanned():
    script = (REPO / "scripts" / "docker-build.sh").read_text()
    copied = set(re.findall(r"cp (?:-r )?(\S+) \"\$ctx", script))
    assert copied <= {"docker/requirements", "pyproject.toml", '"docker/$d"'}, copied
    assert "graders" not in script


def test_student_visible_files_hold_no_hidden_seed_nor_config():
    files = student_visible_files()
    assert any(p.name == "weights.py" for p in files) and any("release" in p.parts for p in files)
    assert not [p for p in files if p.name == evaluate.CONFIG_NAME]
    content = CONFIG.read_bytes()
    pattern = re.compile(
        rb"(?<!\d)(" + b"|".join(str(s).encode() for s in hidden_seeds()) + rb")(?!\d)"
    )
    leaks = []
    for path in files:
        data = path.read_bytes()
        if pattern.search(data) or content in data:
            leaks.append(str(path.relative_to(REPO)))
    assert not leaks, leaks


def test_hidden_seeds_differ_from_the_public_ones():
    from dlgrade.compete import data

    seeds = hidden_seeds()
    assert len(set(seeds)) == 3 and not {data.POOL_SEED, data.DEV_SEED} & set(seeds)
