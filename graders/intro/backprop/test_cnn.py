"""Task 6: cnn_loss_and_grads(params, x, y) -> (loss, grads) and sgd_step(params, grads, lr).

Loss and gradients are compared with torch.autograd on the same network built from
F.conv2d, F.max_pool2d, F.linear and F.cross_entropy; the SGD step with the reference's.
The training test runs the submission's two functions inside the sandbox on 300 digits
and evaluates the parameters it returns here, on 400 other digits. On seeds 0-9 of this
set-up (data split, initialisation and batches seeded together) the reference reaches
87-95 % test accuracy, an untrained network 6-19 %; the threshold is 70 %.
"""

import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_cnn")
F64 = torch.float64
KEYS = ("W1", "b1", "W2", "b2")
LAYERS_HINT = " (if a layer's own tests fail, fix that layer first)"


def random_params(gen, c1=3):
    return {
        "W1": torch.randn(c1, 1, 3, 3, generator=gen, dtype=F64) / 3,
        "b1": 0.1 * torch.randn(c1, generator=gen, dtype=F64),
        "W2": torch.randn(10, 16 * c1, generator=gen, dtype=F64) / (16 * c1) ** 0.5,
        "b2": 0.1 * torch.randn(10, generator=gen, dtype=F64),
    }


def network_loss(params, x, y):
    h = F.max_pool2d(torch.relu(F.conv2d(x, params["W1"], params["b1"], padding=1)), 2)
    return F.cross_entropy(F.linear(h.flatten(1), params["W2"], params["b2"]), y)


def accuracy(params, x, y):
    h = F.max_pool2d(torch.relu(F.conv2d(x, params["W1"], params["b1"], padding=1)), 2)
    return (F.linear(h.flatten(1), params["W2"], params["b2"]).argmax(1) == y).to(F64).mean()


_DIGITS = {}


def digits():
    if not _DIGITS:
        d = load_digits()
        _DIGITS["x"] = torch.tensor(d.images / 16.0, dtype=F64).unsqueeze(1)
        _DIGITS["y"] = torch.tensor(d.target, dtype=torch.long)
    return _DIGITS["x"], _DIGITS["y"]


def check_grads(grads, params, x, y, what=""):
    expect.true(
        isinstance(grads, dict) and set(grads) == set(KEYS),
        f"cnn_loss_and_grads must return grads as a dict with the keys {', '.join(KEYS)}",
    )
    leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    expected = torch.autograd.grad(network_loss(leaves, x, y), list(leaves.values()))
    for key, want in zip(leaves, expected):
        expect.close(grads[key], want, f"the gradient of {key} is wrong{what}" + LAYERS_HINT)


@pytest.mark.points(2)
@pytest.mark.visible
def test_loss_and_grads(sub, tools, gen):
    """Loss and all four gradients equal autograd's on real digits, for C1 = 3 and C1 = 2."""
    xs, ys = digits()
    for c1 in (3, 2):
        params = random_params(gen, c1)
        idx = torch.randint(0, len(ys), (6,), generator=gen)
        x, y = xs[idx], ys[idx]
        result = sub.cnn_loss_and_grads(params, x, y)
        expect.true(
            isinstance(result, (tuple, list)) and len(result) == 2,
            "cnn_loss_and_grads must return a tuple (loss, grads)",
        )
        loss, grads = result
        what = f" for C1 = {c1}"
        loss = tools.scalar(expect.tensor(loss, "the loss must be a tensor"))
        expect.close(loss, network_loss(params, x, y), f"the loss is wrong{what}" + LAYERS_HINT)
        check_grads(grads, params, x, y, what)


@pytest.mark.points(1)
def test_sgd_step(sub, ref, gen):
    """sgd_step returns params - lr * grads for every key (the reference's step)."""
    params = random_params(gen, 2)
    grads = {k: torch.randn(v.shape, generator=gen, dtype=F64) for k, v in params.items()}
    new = sub.sgd_step(params, grads, 0.3)
    expect.true(
        isinstance(new, dict) and set(new) == set(KEYS),
        "sgd_step must return a new dict with the keys of params",
    )
    expected = ref.sgd_step(params, grads, 0.3)
    for k in KEYS:
        expect.close(
            new[k], expected[k], f"sgd_step is wrong for {k}",
            diagnoses={
                "sgd_step goes uphill: SUBTRACT lr * grad": params[k] + 0.3 * grads[k],
                "the learning rate is not applied": params[k] - grads[k],
                "sgd_step returns the update lr * grad, not the new parameters": -0.3 * grads[k],
            },
        )  # fmt: skip


@pytest.mark.points(1)
def test_training(sub, trusted_helpers):
    """150 SGD steps with your functions on 300 digits; the returned parameters classify
    400 other digits (evaluated here) with at least 70 % accuracy."""
    xs, ys = digits()
    g = torch.Generator().manual_seed(7)
    perm = torch.randperm(len(ys), generator=g)
    train, test = perm[:300], perm[300:700]
    params = random_params(g, 4)
    params["b1"].zero_()
    params["b2"].zero_()
    try:
        report = sub.helpers.train_cnn(
            sub.cnn_loss_and_grads, sub.sgd_step, params, xs[train], ys[train], 150, 0.5, 32, 3
        )
    except StudentError as exc:
        expect.fail(f"training with cnn_loss_and_grads and sgd_step raised {exc.type}")
    expect.true(
        isinstance(report, dict) and "params" in report,
        "sgd_step must return a dict of parameters",
    )
    trained = report["params"]
    expect.true(set(trained) == set(KEYS), "after training, the parameters lost or gained keys")
    for k in KEYS:
        expect.shape(trained[k], tuple(params[k].shape), f"after training, {k}")
    trained = {k: expect.tensor(trained[k]).to(F64) for k in KEYS}
    expect.true(
        all(torch.isfinite(v).all() for v in trained.values()),
        "training diverged: the parameters contain NaN or inf",
    )
    acc = accuracy(trained, xs[test], ys[test]).item()
    expect.true(
        acc >= 0.7,
        f"after 150 SGD steps (lr 0.5, batches of 32) the network classifies only {acc:.0%} of "
        "held-out digits correctly (a correct implementation reaches more than 80 %)",
    )
