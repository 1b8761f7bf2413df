"""Task 3: fit_mlp, full-batch Adam on the mean squared error.

The fitted parameters come back as plain tensors and are measured here, with the reference
mlp_forward and torch's mse_loss, so a fit is judged by what it produced."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

raised = load_grader_module(Path(__file__).with_name("common.py")).raised

pytestmark = [pytest.mark.task("test_fit"), pytest.mark.time_limit(60)]

ACTS = {"tanh": torch.tanh, "relu": torch.relu}
# On seeds 0-19 the reference reaches a training MSE of at most 7.5e-3 on sin (tanh, width
# 16, 200 steps, lr 3e-2) and 1.3e-3 on |x| (ReLU, 16-16, the same); an untrained network
# is at 0.3 or more (the variance of sin on the grid is 0.5, of |x| 0.8).
SIN_MSE, ABS_MSE = 5e-2, 2e-2
STEPS, LR = 200, 3e-2


def grid(n: int = 64) -> torch.Tensor:
    return torch.linspace(-math.pi, math.pi, n, dtype=torch.float64).unsqueeze(1)


def fit(sub, sizes, x, y, act, steps, lr, seed) -> dict:
    try:
        report = sub.helpers.fit_run(sizes, x, y, act, steps, lr, seed)
    except StudentError as exc:
        expect.fail(raised("fit_mlp", exc))
    losses = report["losses"]
    expect.true(
        isinstance(losses, list) and len(losses) == steps,
        f"fit_mlp must return a list of one loss per step ({steps} steps were asked for)",
    )
    expect.true(all(math.isfinite(v) for v in losses), "the training loss became NaN or inf")
    return report


def trained(report, sizes) -> list:
    params = report["params"]
    expect.true(
        isinstance(params, list) and len(params) == len(sizes) - 1,
        "fit_mlp must return the parameters as init_mlp's list of (W, b) pairs",
    )
    out = []
    for i, layer in enumerate(params, start=1):
        expect.true(len(layer) == 2, "every layer of the returned parameters must be a pair (W, b)")
        expect.shape(layer[0], (sizes[i - 1], sizes[i]), f"the fitted W_{i} has the wrong shape")
        expect.shape(layer[1], (sizes[i],), f"the fitted b_{i} has the wrong shape")
        out.append((expect.tensor(layer[0]).double(), expect.tensor(layer[1]).double()))
    return out


def mse(ref, params, x, y, act) -> float:
    return F.mse_loss(ref.mlp_forward(params, x, act), y).item()


@pytest.mark.points(1)
def test_history_and_start(sub, ref, seed):
    """losses[0] is the mean squared error of the seeded initial parameters, one loss is
    recorded per step, the loss falls, and steps=0 returns the initial parameters."""
    s, sizes, x = seed % 1000, [1, 8, 1], grid(32)
    y = torch.sin(x)
    start = ref.init_mlp(sizes, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
    start = [(W.detach(), b.detach()) for W, b in start]
    untouched = trained(fit(sub, sizes, x, y, "tanh", 0, 1e-2, s), sizes)
    expect.true(
        all(expect.is_close(a, b) for la, lb in zip(untouched, start) for a, b in zip(la, lb)),
        "with steps=0 fit_mlp must return init_mlp(sizes, generator, dtype=x.dtype) unchanged",
    )
    report = fit(sub, sizes, x, y, "tanh", 20, 1e-2, s)
    initial = F.mse_loss(ref.mlp_forward(start, x, torch.tanh), y)
    expect.close(
        torch.tensor(report["losses"][0]), initial,
        "losses[0] is not the mean squared error of the initial parameters",
        rtol=1e-6, atol=1e-9,
        diagnoses={
            "the squared errors are summed, not averaged": initial * len(x),
            "the loss is the mean error, not the mean squared error": (
                ref.mlp_forward(start, x, torch.tanh) - y
            ).mean(),
            "the squared error is halved: the notebook's loss is the plain mean": initial / 2,
        },
    )  # fmt: skip
    final = mse(ref, trained(report, sizes), x, y, torch.tanh)
    expect.true(
        final < report["losses"][0],
        "after 20 Adam steps the fitted parameters are no better than the initial ones",
    )
    expect.true(
        abs(final - report["losses"][-1]) <= 0.2 * report["losses"][-1] + 1e-4,
        "the returned parameters do not belong to the recorded losses: return the parameters "
        "that were trained",
    )


@pytest.mark.points(2)
def test_fits_sin(sub, ref, seed):
    """A tanh network of width 16 fitted for 200 steps approximates sin on [-pi, pi]
    (training MSE measured here)."""
    x, sizes = grid(), [1, 16, 1]
    y = torch.sin(x)
    params = trained(fit(sub, sizes, x, y, "tanh", STEPS, LR, seed % 1000), sizes)
    err = mse(ref, params, x, y, torch.tanh)
    expect.true(
        err < SIN_MSE,
        f"after 200 Adam steps the fitted tanh network has a mean squared error of "
        f"{err:.2g} on sin (a correct fit_mlp reaches below 0.01): check zero_grad, "
        "backward and step at every iteration, and that the loss is the mean squared error "
        "of mlp_forward(params, x, activation) - y",
    )


@pytest.mark.points(1)
def test_fits_abs_with_relu(sub, ref, seed):
    """A ReLU network with two hidden layers of width 16 fitted for 200 steps approximates |x|
    (MSE measured here)."""
    x, sizes = grid(), [1, 16, 16, 1]
    y = x.abs()
    params = trained(fit(sub, sizes, x, y, "relu", STEPS, LR, seed % 1000), sizes)
    err = mse(ref, params, x, y, torch.relu)
    expect.true(
        err < ABS_MSE,
        f"after 200 Adam steps the fitted ReLU network has a mean squared error of {err:.2g} "
        "on |x| (a correct fit_mlp reaches below 0.002)",
    )
