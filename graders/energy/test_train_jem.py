"""Task 6 (training): the student's train_jem learns four Gaussian blobs.

A fresh small network is trained inside the sandbox with the submission's `train_jem`
(and through it the submission's sampler, replay buffer and loss), on three seeds. Only
plain data comes back: the trained classifier's logits on held-out points, samples drawn
from the returned replay buffer and the training history; the checks below judge them.

Thresholds have a wide margin: on seeds 0-9 of this exact set-up the reference reaches
99.8-100 % accuracy and puts 87-97 % of the buffer's samples within distance 1 of a blob
centre (the three correct variants pass too), while a buffer that is never updated
(uniform noise on [-4, 4]^2) puts about 20 % there and an uphill sampler or a flipped
contrastive term about 1 %.
"""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = [pytest.mark.task("test_train_jem"), pytest.mark.time_limit(60)]

CENTERS = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]])
STD = 0.5
SEEDS = (0, 1, 2)
N_TRAIN, N_TEST, N_SAMPLES, HIDDEN = 256, 400, 500, 16
TRAIN_ARGS = {
    "n_steps": 100,
    "batch_size": 32,
    "lr": 1e-2,
    "sgld_steps": 10,
    "step_size": 1.0,
    "noise_std": 0.01,
    "buffer_size": 256,
    "reinit_freq": 0.05,
    "low": -4.0,
    "high": 4.0,
    "energy_reg": 0.1,
}
MIN_ACCURACY = 0.9
NEAR = 1.0  # two standard deviations of a blob
MIN_NEAR_SHARE = 0.6


def _blobs(n: int, g: torch.Generator):
    y = torch.randint(0, len(CENTERS), (n,), generator=g)
    return CENTERS[y] + STD * torch.randn(n, 2, generator=g), y


@pytest.fixture(scope="module")
def runs(sub):
    """One training run per seed: (test labels, the run's plain-data report or an error)."""
    out = []
    for seed in SEEDS:
        g = torch.Generator().manual_seed(100 + seed)
        x, y = _blobs(N_TRAIN, g)
        x_test, y_test = _blobs(N_TEST, g)
        try:
            report = sub.helpers.train_blobs(
                sub.train_jem, x, y, x_test, seed, HIDDEN, N_SAMPLES, TRAIN_ARGS
            )
        except StudentError as exc:
            report = exc
        out.append((y_test, report))
    return out


def _report(run):
    y_test, report = run
    if isinstance(report, StudentError):
        expect.fail(
            f"training a small network with your train_jem (or sampling its replay buffer) "
            f"raised {report.type}"
        )
    expect.true(isinstance(report, dict), "train_jem could not be run")
    return y_test, report


@pytest.mark.points(1)
def test_history(runs):
    """Does train_jem return one stats dict (ce, e_data, e_sample) per training step?"""
    for run in runs:
        _, report = _report(run)
        history = report["history"]
        expect.true(
            isinstance(history, list) and len(history) == TRAIN_ARGS["n_steps"],
            "train_jem should return a history list with one stats dict per training step "
            f"({TRAIN_ARGS['n_steps']} steps were asked for)",
        )
        for stats in history:
            expect.true(
                isinstance(stats, dict) and {"ce", "e_data", "e_sample"} <= set(stats),
                "every entry of the history should be jem_loss's stats dict "
                "(keys ce, e_data, e_sample)",
            )
        final = torch.tensor([float(history[-1][k]) for k in ("ce", "e_data", "e_sample")])
        expect.true(
            bool(torch.isfinite(final).all()),
            "the training diverged: the last stats contain NaN or inf",
        )


@pytest.mark.points(2)
def test_accuracy(runs):
    """On three seeds, does the JEM-trained classifier reach 90 % test accuracy on 4 blobs?"""
    for i, run in enumerate(runs):
        y_test, report = _report(run)
        logits = expect.tensor(report["logits"], "the model's logits could not be read")
        acc = (logits.argmax(1) == y_test).double().mean().item()
        expect.true(
            acc >= MIN_ACCURACY,
            f"after train_jem the classifier reaches only {acc:.0%} test accuracy on four "
            f"well-separated blobs (run {i + 1} of {len(runs)}; a correct implementation gets "
            "about 100 %): check that the model is trained in place with Adam on jem_loss "
            "(zero_grad, backward, step every iteration)",
        )


@pytest.mark.points(2)
def test_samples_near_data(runs):
    """On three seeds, do at least 60 % of the replay buffer's samples land near a blob?"""
    for i, run in enumerate(runs):
        _, report = _report(run)
        samples = expect.tensor(report["samples"], "the buffer's samples could not be read")
        expect.shape(samples, (N_SAMPLES, 2), "buffer.sample(n) should return n samples")
        samples = samples.double()
        finite = torch.isfinite(samples).all(1)
        dist = torch.cdist(samples.nan_to_num(1e6, 1e6, -1e6), CENTERS.double()).min(1).values
        share = ((dist < NEAR) & finite).double().mean().item()
        expect.true(
            share >= MIN_NEAR_SHARE,
            f"after train_jem only {share:.0%} of the replay buffer's samples lie near the "
            f"data (run {i + 1} of {len(runs)}; a correct implementation gets about 90 %, "
            "uniform noise about 20 %): are the SGLD samples written back with "
            "buffer.update(idx, x_s), does the sampler go downhill on E, and does the loss "
            "push the energy down on data and up on samples?",
        )
