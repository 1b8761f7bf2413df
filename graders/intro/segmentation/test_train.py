"""Task 5: train_segmenter(model, images, masks, steps, lr, batch_size, generator=None).

A small convolutional network of the grader's (sandbox_helpers.tiny_segmenter), initialised
here, is trained inside the sandbox with the submission's train_segmenter (and through it
its soft_dice_loss) on ring images made here by the reference's make_rings. The trained
weights come back as plain data and are evaluated here by the same network.

Calibration (16x16 rings, 64 training images, 100 steps, lr 0.02, batches of 16): on seeds
0-5 the reference reaches a test Dice of 0.749-0.771; without zero_grad 0.57-0.69; with
the logits used as probabilities 0-0.25; an untrained network 0-0.5.
"""

from dataclasses import dataclass

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = [pytest.mark.task("test_train"), pytest.mark.time_limit(60)]

SEEDS = (0, 1)
SIZE, N_TRAIN, N_TEST = 16, 64, 64
TRAIN_ARGS = {"steps": 100, "lr": 0.02, "batch_size": 16}
MIN_DICE = 0.7


@dataclass
class Run:
    seed: int
    x: torch.Tensor
    y: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    init: dict
    report: object
    weights: object


def _train(sub, ref, trusted_helpers, seed):
    g = torch.Generator().manual_seed(100 + seed)
    x, y, _ = ref.make_rings(N_TRAIN, SIZE, generator=g)
    x_test, y_test, _ = ref.make_rings(N_TEST, SIZE, generator=g)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = trusted_helpers.tiny_segmenter()
    init = {k: v.detach().clone() for k, v in net.state_dict().items()}
    weights = None
    try:
        report = sub.helpers.train_tiny(
            sub.train_segmenter, init, x, y, seed, TRAIN_ARGS, seed == SEEDS[0]
        )
    except StudentError as exc:
        report = exc
    if isinstance(report, dict):
        try:
            weights = sub.builtins.state_dict(report.get("model"))
        except StudentError as exc:
            weights = exc
    return Run(seed, x, y, x_test, y_test, init, report, weights)


@pytest.fixture(scope="module")
def runs(sub, ref, trusted_helpers):
    return [_train(sub, ref, trusted_helpers, seed) for seed in SEEDS]


def _report(run):
    if isinstance(run.report, StudentError):
        expect.fail(f"training a small network with your train_segmenter raised {run.report.type}")
    expect.true(isinstance(run.report, dict), "train_segmenter could not be run")
    return run.report


def _trained(run, trusted_helpers):
    _report(run)
    net = trusted_helpers.tiny_segmenter()
    return expect.weights(
        run.weights, net, "the model train_segmenter trained (train the given model in place)"
    ).eval()


def _expected_batches(run):
    g = torch.Generator().manual_seed(run.seed)
    n, b = len(run.x), TRAIN_ARGS["batch_size"]
    return [torch.randint(0, n, (b,), generator=g) for _ in range(TRAIN_ARGS["steps"])]


@pytest.mark.points(1)
def test_history_and_batches(runs, ref, trusted_helpers):
    """train_segmenter trains the model in place, returns one float loss per step (the
    first is the initial model's soft Dice loss on the first batch), and trains on the
    batches torch.randint(0, N, (batch_size,), generator=generator) draws, one per step."""
    steps = TRAIN_ARGS["steps"]
    seen = _report(runs[0])["seen"]
    batches = _expected_batches(runs[0])
    n_seen = len(seen) if isinstance(seen, list) else 0
    expect.true(
        n_seen == steps,
        f"the model was called {n_seen} times for {steps} training steps: call it once per "
        "step, on the batch",
    )
    for got, idx in zip(seen, batches):
        expect.true(
            tuple(got.shape) == (len(idx), 1, SIZE, SIZE) and torch.equal(got, runs[0].x[idx]),
            "the training batches are not the ones torch.randint(0, len(images), "
            "(batch_size,), generator=generator) draws at each step",
        )
    for run in runs:
        history = _report(run)["history"]
        expect.true(
            isinstance(history, list)
            and len(history) == steps
            and all(isinstance(v, float) for v in history),
            f"train_segmenter must return a list of {steps} Python floats (loss.item() of "
            "every step)",
        )
        net = _trained(run, trusted_helpers)
        expect.true(
            any(not torch.equal(p, run.init[k]) for k, p in net.state_dict().items()),
            "train_segmenter did not change the model's parameters",
        )
        batches = _expected_batches(run)
        start = trusted_helpers.tiny_segmenter()
        start.load_state_dict(run.init)
        with torch.no_grad():
            first = ref.soft_dice_loss(start(run.x[batches[0]]), run.y[batches[0]]).item()
        expect.true(
            abs(history[0] - first) < 1e-4,
            "the first loss in the history is not the soft Dice loss (default smoothing) of "
            "the untrained model on the first batch",
        )


@pytest.mark.points(2)
@pytest.mark.visible
def test_trained_dice(runs, ref, trusted_helpers):
    """On two seeds, the network trained by train_segmenter reaches a Dice score of 0.7 on
    new ring images (evaluated here, with the reference's dice_score)."""
    for i, run in enumerate(runs):
        net = _trained(run, trusted_helpers)
        with torch.no_grad():
            dice = ref.dice_score(net(run.x_test) > 0, run.y_test).mean().item()
        expect.true(
            dice >= MIN_DICE,
            f"after train_segmenter the network reaches a Dice score of only {dice:.2f} on "
            f"new images (run {i + 1} of {len(runs)}; a correct loop gets about 0.76): check "
            "zero_grad / backward / step at every step, Adam with the given lr, and the "
            "soft Dice loss on the batch",
        )
