"""Task 6 (training): the student's train_jem learns four Gaussian blobs.

A small classifier, initialised here, is trained inside the sandbox with the submission's
`train_jem` (and through it the submission's sampler, replay buffer and loss), on three
seeds. What comes back is plain data: the trained weights, samples drawn from the returned
replay buffer and the training history. The trained weights are evaluated here, in the
trusted process, by the same classifier: its accuracy, and where SGLD chains started from
noise end on its energy (the reference sampler, run here). So nothing in the sandbox can
report a trained model it did not produce.

Thresholds have a wide margin: on seeds 0-9 of this exact set-up the reference reaches
99.8-100 % accuracy, puts 87-97 % of the buffer's samples within distance 1 of a blob
centre and 75-98 % of fresh 20-step chains there (the three correct variants: at least
86 % and 74 %). A buffer that is never updated (uniform noise on [-4, 4]^2) puts about
20 % there, an uphill sampler or a flipped contrastive term about 1 %; fresh chains on a
classifier trained on cross-entropy alone end near the data 0 % of the time, on an
untrained one about 20 %.
"""

import math
from dataclasses import dataclass

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


FRESH_CHAINS, FRESH_STEPS, MIN_FRESH_SHARE = 500, 20, 0.5
CE_SLACK = 0.25  # |last history ce - the trained model's ce on the training set| allowed


def _blobs(n: int, g: torch.Generator):
    y = torch.randint(0, len(CENTERS), (n,), generator=g)
    return CENTERS[y] + STD * torch.randn(n, 2, generator=g), y


@dataclass
class Run:
    x: torch.Tensor
    y: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    init: dict
    report: object  # the helper's dict, or the StudentError it raised
    weights: object  # the trained state_dict fetched from the sandbox, or a StudentError


def _train(sub, trusted_helpers, seed: int) -> Run:
    g = torch.Generator().manual_seed(100 + seed)
    x, y = _blobs(N_TRAIN, g)
    x_test, y_test = _blobs(N_TEST, g)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = trusted_helpers.blobs_classifier(2, HIDDEN, len(CENTERS))
    init = {k: v.detach().clone() for k, v in net.state_dict().items()}
    weights = None
    try:
        report = sub.helpers.train_blobs(sub.train_jem, init, x, y, seed, N_SAMPLES, TRAIN_ARGS)
    except StudentError as exc:
        report = exc
    if isinstance(report, dict):
        try:
            weights = sub.builtins.state_dict(report.get("model"))
        except StudentError as exc:
            weights = exc
    return Run(x, y, x_test, y_test, init, report, weights)


@pytest.fixture(scope="module")
def runs(sub, trusted_helpers):
    """One training run per seed."""
    return [_train(sub, trusted_helpers, seed) for seed in SEEDS]


def _report(run: Run) -> dict:
    if isinstance(run.report, StudentError):
        expect.fail(
            f"training a small network with your train_jem (or sampling its replay buffer) "
            f"raised {run.report.type}"
        )
    expect.true(isinstance(run.report, dict), "train_jem could not be run")
    return run.report


def _trained(run: Run, trusted_helpers) -> torch.nn.Module:
    """The trained weights, carried by the grader's own copy of the classifier."""
    _report(run)
    net = trusted_helpers.blobs_classifier(2, HIDDEN, len(CENTERS))
    what = "the model train_jem trained (it should train the model it is given in place)"
    return expect.weights(run.weights, net, what).eval()


def _changed(run: Run, net: torch.nn.Module) -> bool:
    return any(
        not torch.allclose(p, run.init[name], atol=1e-6) for name, p in net.state_dict().items()
    )


@pytest.mark.points(1)
def test_history(sub, runs, trusted_helpers):
    """Does train_jem return one stats dict (ce, e_data, e_sample) per training step,
    recording the training that actually happened, on batches drawn from every row?"""
    for run in runs:
        history = _report(run)["history"]
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
        final = [float(history[-1][k]) for k in ("ce", "e_data", "e_sample")]
        expect.true(
            all(math.isfinite(v) for v in final),
            "the training diverged: the last stats contain NaN or inf",
        )
        net = _trained(run, trusted_helpers)
        expect.true(_changed(run, net), "train_jem did not change the model's parameters")
        with torch.no_grad():
            ce = torch.nn.functional.cross_entropy(net(run.x), run.y).item()
        expect.true(
            abs(final[0] - ce) <= CE_SLACK * (1 + ce),
            "the history does not describe the training: its last cross-entropy is far from "
            "the trained model's cross-entropy on the training data (record the stats "
            "jem_loss returns at every step)",
        )
    draws_every_row(sub)


DRAW_ROWS, DRAW_ARGS = (
    4,
    {
        **TRAIN_ARGS,
        **{"n_steps": 100, "batch_size": 16, "sgld_steps": 1, "buffer_size": 16},
        **{"low": -1.0, "high": 1.0, "lr": 1e-3, "step_size": 0.01, "energy_reg": 0.0},
    },
)


def draws_every_row(sub) -> None:
    """The labelled batches are drawn uniformly from all rows of x: on 4 distinct rows, each
    takes about a quarter of the rows the model was called on (1600 draws; the reference's
    shares lie within 0.03 of 1/4, a batch that never draws the last row gives it 0, one
    drawn from randint(-1, len(x)) gives it 0.4)."""
    x = 10.0 + torch.arange(2.0 * DRAW_ROWS).reshape(DRAW_ROWS, 2)
    y = torch.arange(DRAW_ROWS) % len(CENTERS)
    try:
        counts = sub.helpers.rows_drawn(sub.train_jem, x, y, 0, DRAW_ARGS)
    except StudentError as exc:
        expect.fail(f"train_jem on a 4-row data set raised {exc.type}")
    expect.true(
        isinstance(counts, list)
        and len(counts) == DRAW_ROWS
        and all(isinstance(c, int) and 0 <= c <= 10**7 for c in counts)
        and sum(counts) > 0,
        "train_jem never called the model on the labelled data rows",
    )
    shares = [c / sum(counts) for c in counts]
    expect.true(
        max(abs(s - 1 / DRAW_ROWS) for s in shares) < 0.08,
        "train_jem does not draw its labelled batches uniformly from all rows of x (shares "
        + ", ".join(f"{s:.2f}" for s in shares)
        + "): use torch.randint(0, len(x), (batch_size,), generator=generator)",
    )


@pytest.mark.points(2)
def test_accuracy(runs, trusted_helpers):
    """On three seeds, does the JEM-trained classifier reach 90 % test accuracy on 4 blobs?"""
    for i, run in enumerate(runs):
        net = _trained(run, trusted_helpers)
        with torch.no_grad():
            acc = (net(run.x_test).argmax(1) == run.y_test).double().mean().item()
        expect.true(
            acc >= MIN_ACCURACY,
            f"after train_jem the classifier reaches only {acc:.0%} test accuracy on four "
            f"well-separated blobs (run {i + 1} of {len(runs)}; a correct implementation gets "
            "about 100 %): check that the model is trained in place with Adam on jem_loss "
            "(zero_grad, backward, step every iteration)",
        )


def _near_share(samples: torch.Tensor) -> float:
    samples = samples.double()
    finite = torch.isfinite(samples).all(1)
    dist = torch.cdist(samples.nan_to_num(1e6, 1e6, -1e6), CENTERS.double()).min(1).values
    return ((dist < NEAR) & finite).double().mean().item()


def _fresh_chains(net: torch.nn.Module, ref, seed: int) -> torch.Tensor:
    """Where the reference sampler's chains, started from uniform noise, end on the
    trained model's energy -logsumexp(logits)."""
    g = torch.Generator().manual_seed(1000 + seed)
    low, high = TRAIN_ARGS["low"], TRAIN_ARGS["high"]
    x0 = low + (high - low) * torch.rand(FRESH_CHAINS, 2, generator=g)
    net.requires_grad_(False)
    return ref.sgld_sample(
        lambda x: -torch.logsumexp(net(x), dim=-1),
        x0,
        FRESH_STEPS,
        TRAIN_ARGS["step_size"],
        noise_std=TRAIN_ARGS["noise_std"],
        generator=g,
    )


@pytest.mark.points(2)
def test_samples_near_data(runs, ref, trusted_helpers):
    """On three seeds, do at least 60 % of the replay buffer's samples land near a blob,
    and does the learned energy lead fresh SGLD chains to the data?"""
    for i, run in enumerate(runs):
        samples = expect.tensor(_report(run)["samples"], "the buffer's samples could not be read")
        expect.shape(samples, (N_SAMPLES, 2), "buffer.sample(n) should return n samples")
        share = _near_share(samples)
        expect.true(
            share >= MIN_NEAR_SHARE,
            f"after train_jem only {share:.0%} of the replay buffer's samples lie near the "
            f"data (run {i + 1} of {len(runs)}; a correct implementation gets about 90 %, "
            "uniform noise about 20 %): are the SGLD samples written back with "
            "buffer.update(idx, x_s), does the sampler go downhill on E, and does the loss "
            "push the energy down on data and up on samples?",
        )
        fresh = _near_share(_fresh_chains(_trained(run, trusted_helpers), ref, SEEDS[i]))
        expect.true(
            fresh >= MIN_FRESH_SHARE,
            f"the energy your train_jem learned does not lead SGLD chains to the data: "
            f"started from uniform noise, only {fresh:.0%} of {FRESH_STEPS}-step chains end "
            f"near a blob (run {i + 1} of {len(runs)}; a correct implementation gets 75 % or "
            "more): does the loss push the energy down on data and up on the sampler's "
            "samples, and are those samples drawn from the replay buffer with SGLD?",
        )
