"""One submission's evaluation: embeddings in a real sandbox, bounded, scored here."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dlgrade.compete import arch, baselines, evaluate, weights
from dlgrade.compete.evaluate import (
    EvaluationFailed,
    Scores,
    bounded_embeddings,
    embed_in_sandbox,
    knn_predict,
    score_embeddings,
)
from dlgrade.compete.weights import Rejected
from dlgrade.sandbox.backends.local import LocalSandbox

pytestmark = pytest.mark.slow


def test_hidden_split_has_the_configured_sizes(hidden):
    config = json.loads(evaluate.default_config_path().read_text())
    assert hidden.probe_x.shape == (config["probe"]["n"], arch.SIGNAL_LEN)
    assert hidden.test_x.shape == (config["test"]["n"], arch.SIGNAL_LEN)
    assert hidden.probe_x.dtype == np.float32 and hidden.probe_y.dtype == np.int64
    assert hidden.public.mean() == pytest.approx(config["public_fraction"], abs=1e-3)
    assert set(np.unique(hidden.test_y)) == set(range(10))
    assert evaluate.load_hidden() is hidden  # cached per process
    assert not hidden.test_y.flags.writeable


def test_trained_encoder_beats_the_random_baseline(hidden, local_backend, trained_small):
    """Does a small encoder trained on the public dev split score above a random one?"""
    floor = evaluate.score_embeddings(
        *_embedded(baselines.random_encoder("small"), hidden), hidden.test_y, hidden.public
    )
    scores = evaluate.evaluate(trained_small, hidden, local_backend)
    assert scores.n_params == arch.parameter_count("small") and scores.eval_seconds > 0
    got = (scores.probe_public, scores.probe_private, scores.knn_public, scores.knn_private)
    assert all(g > f + 0.05 for g, f in zip(got, floor)), (got, floor)


def _embedded(encoder, hidden):
    blob = np.frombuffer(weights.save_encoder(encoder), dtype=np.uint8)
    probe = evaluate.sandbox_embed("small", blob, hidden.probe_x)
    test = evaluate.sandbox_embed("small", blob, hidden.test_x)
    return probe, hidden.probe_y, test


def test_scores_are_deterministic_and_match_in_process_embeddings(
    hidden, local_backend, random_small
):
    """Two sandboxed runs agree exactly, and with the same encoder run in this process."""
    first = evaluate.evaluate(random_small, hidden, local_backend)
    second = evaluate.evaluate(random_small, hidden, local_backend)
    keys = ("probe_public", "probe_private", "knn_public", "knn_private", "n_params")
    assert [getattr(first, k) for k in keys] == [getattr(second, k) for k in keys]
    inputs = hidden.test_x[:300]
    boxed = embed_in_sandbox(random_small, inputs, local_backend)
    here = evaluate.sandbox_embed("small", np.frombuffer(random_small.weights, np.uint8), inputs)
    assert boxed.dtype == np.float32 and np.array_equal(boxed, here)


def test_backend_by_name(random_small, hidden):
    out = embed_in_sandbox(random_small, hidden.probe_x[:50], "local")
    assert out.shape == (50, arch.EMBED_DIM)


def test_hostile_values_are_rejected_not_crashing(hidden, local_backend):
    """Valid header, weights within the cap but absurd: the embeddings overflow, and the
    trusted side rejects them with its own message."""
    encoder = arch.build_encoder("small")
    for p in encoder.parameters():
        p.data.fill_(9.0e3)
    checked = weights.check_submission(weights.save_encoder(encoder), {"size": "small"})
    with pytest.raises(Rejected, match="NaN/inf/huge embeddings"):
        evaluate.evaluate(checked, hidden, local_backend)


def test_all_zero_encoder_scores_without_crashing(hidden, local_backend):
    encoder = arch.build_encoder("small")
    for p in encoder.parameters():
        p.data.zero_()
    checked = weights.check_submission(weights.save_encoder(encoder), {"size": "small"})
    scores = evaluate.evaluate(checked, hidden, local_backend)
    assert 0.0 <= scores.probe_public <= 0.25 and 0.0 <= scores.knn_private <= 0.25


def test_timeout_is_an_evaluation_failure(random_small, hidden, local_backend):
    with pytest.raises(EvaluationFailed):
        embed_in_sandbox(random_small, hidden.test_x, local_backend, time_limit=0.01)


def test_a_sandbox_that_cannot_start_is_an_evaluation_failure(random_small, hidden):
    backend = LocalSandbox(memory_limit_mb=600)  # leaves too little beside the tmpfs mounts
    try:
        with pytest.raises(EvaluationFailed, match="crashed"):
            embed_in_sandbox(random_small, hidden.probe_x[:10], backend)
    finally:
        backend.close()


def test_unknown_backend_name_is_refused(random_small):
    with pytest.raises(KeyError, match="unknown sandbox backend"):
        embed_in_sandbox(random_small, np.zeros((2, arch.SIGNAL_LEN), np.float32), "nope")


# -- trusted pieces ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [
        (np.zeros((3, arch.EMBED_DIM), np.float64), "float32"),
        (np.zeros((3, arch.EMBED_DIM + 1), np.float32), "shape"),
        (np.zeros((4, arch.EMBED_DIM), np.float32), "shape"),
        (np.full((3, arch.EMBED_DIM), np.nan, np.float32), "NaN/inf/huge"),
        (np.full((3, arch.EMBED_DIM), 2e6, np.float32), "NaN/inf/huge"),
        ([[0.0] * arch.EMBED_DIM] * 3, "float32"),
        ("text", "float32"),
    ],
)
def test_embeddings_are_bounded(value, words):
    with pytest.raises(Rejected, match=words):
        bounded_embeddings(value, 3)


def test_knn_ties_are_deterministic():
    memory = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]])
    labels = np.array([3, 1, 1, 3, 0])
    # two votes each for 1 and 3 among the 4 nearest: the nearest tied neighbour (index 0,
    # the lower index among equal similarities) decides
    assert knn_predict(memory, labels, np.array([[1.0, 1.0]]), k=4).tolist() == [3]
    assert knn_predict(memory, labels, np.array([[0.0, 0.0]]), k=1).tolist() == [3]
    assert knn_predict(memory, labels, np.array([[-1.0, 0.1]]), k=1).tolist() == [0]


def test_score_embeddings_is_deterministic_and_perfect_on_separable_features():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 400)
    probe = np.eye(10)[y] * 5 + rng.normal(0, 0.1, (400, 10))
    ty = rng.integers(0, 10, 300)
    test = np.eye(10)[ty] * 5 + rng.normal(0, 0.1, (300, 10))
    public = np.arange(300) < 90
    first = score_embeddings(probe, y, test, ty, public)
    assert first == score_embeddings(probe, y, test, ty, public) == (1.0, 1.0, 1.0, 1.0)


def test_scores_json_round_trip_and_strictness():
    scores = Scores(0.5, 0.25, 0.75, 1.0, 123, 1.5)
    assert Scores.from_json(json.loads(json.dumps(scores.to_json()))) == scores
    for bad in (
        {**scores.to_json(), "probe_public": 1.5},
        {**scores.to_json(), "knn_private": float("nan")},
        {**scores.to_json(), "n_params": -1},
        {**scores.to_json(), "n_params": True},
        {**scores.to_json(), "eval_seconds": "1"},
        {**scores.to_json(), "extra": 1},
        [1, 2],
    ):
        with pytest.raises(ValueError):
            Scores.from_json(bad)


@pytest.mark.docker
def test_docker_backend_by_name(random_small, hidden, local_backend):
    """The docker backend works by name: the same embeddings as the local one where an
    engine and the grader image answer, else an EvaluationFailed (never a crash)."""
    from dlgrade.sandbox.backends.docker import DockerSandbox

    inputs = hidden.probe_x[:64]
    try:
        DockerSandbox()._check_image()
    except RuntimeError:
        with pytest.raises(EvaluationFailed, match="sandbox image|docker"):
            embed_in_sandbox(random_small, inputs, "docker", time_limit=60)
        return
    boxed = embed_in_sandbox(random_small, inputs, "docker", time_limit=120)
    assert np.array_equal(boxed, embed_in_sandbox(random_small, inputs, local_backend))


def test_the_course_given_decides_the_sandbox_settings_and_hidden_folders(
    random_small, hidden, gradebook_course
):
    """Does an evaluation for a course (the hub's service runs in its course root) use that
    course's sandbox settings and hide its root, graders and gradebook folder?"""
    paths = gradebook_course
    paths.config.LocalSandbox.memory_limit_mb = 1536
    job = evaluate._job("compete-small", paths)
    assert {str(paths.root), str(paths.graders("")), str(paths.source(""))} <= set(job.hide)
    box = evaluate.get_backend("local", paths)
    assert box.memory_limit_mb == 1536 and box is evaluate.get_backend("local", paths)
    assert box is not evaluate.get_backend("local")
    here = evaluate.evaluate(random_small, hidden, backend="local", paths=paths)
    default = evaluate.evaluate(random_small, hidden, backend="local")
    assert dataclasses.replace(here, eval_seconds=0) == dataclasses.replace(default, eval_seconds=0)
