"""Task 3: softmax_ce_forward(logits, y) -> (loss, cache), softmax_ce_backward(grad_out, cache) -> dlogits."""

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_softmax_ce")
F64 = torch.float64


def data(gen, n=6, k=5, scale=2.0):
    logits = scale * torch.randn(n, k, generator=gen, dtype=F64)
    y = torch.randint(0, k, (n,), generator=gen)
    return logits, y


def autograd_dlogits(logits, y, grad_out):
    leaf = logits.clone().requires_grad_(True)
    (d,) = torch.autograd.grad(F.cross_entropy(leaf, y), leaf, grad_out)
    return d


def forward_diagnoses(logits, y):
    return {
        "the loss is summed over the batch instead of averaged": F.cross_entropy(
            logits, y, reduction="sum"
        ),
        "the sign is wrong: the loss is MINUS the mean log-probability of the labels": (
            -F.cross_entropy(logits, y)
        ),
    }


@pytest.mark.points(1)
@pytest.mark.visible
def test_forward(sub, tools, gen):
    """The loss equals F.cross_entropy (the mean over the batch)."""
    logits, y = data(gen)
    loss = tools.output(sub.softmax_ce_forward(logits, y), "softmax_ce_forward")
    loss = tools.scalar(expect.tensor(loss, "softmax_ce_forward must return the loss as a tensor"))
    dims = sub.helpers.loss_dims(sub.softmax_ce_forward, [logits, y])
    expect.true(dims == 0, f"the loss must be a 0-dim tensor (the mean), not a {dims}-dim one")
    expect.close(
        loss,
        F.cross_entropy(logits, y),
        "the loss is wrong",
        diagnoses=forward_diagnoses(logits, y),
    )


@pytest.mark.points(2)
def test_backward(sub, tools, gen):
    """dlogits equals torch.autograd's for F.cross_entropy, with grad_out = 0.7."""
    logits, y = data(gen, n=5, k=4)
    grad_out = torch.tensor(0.7, dtype=F64)
    _, dlogits = tools.run_layer(
        sub, "softmax_ce_forward", "softmax_ce_backward", [logits, y], grad_out
    )
    expected = autograd_dlogits(logits, y, grad_out)
    probs = torch.softmax(logits, dim=1)
    expect.close(
        dlogits, expected, "dlogits is wrong",
        diagnoses={
            "dlogits is not divided by the batch size N (the loss is a mean)": expected * 5,
            "grad_out is ignored: multiply dlogits by it": expected / 0.7,
            "grad_out is ignored and dlogits is not divided by N": expected * 5 / 0.7,
            "the one-hot term is missing: dlogits = (softmax - onehot(y)) / N": probs * 0.7 / 5,
            "the sign is wrong: dlogits = (softmax - onehot(y)) / N": -expected,
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_large_logits(sub, tools, gen):
    """Logits in the thousands give a finite loss and gradient equal to torch's (stable softmax)."""
    logits, y = data(gen, n=4, k=5, scale=1000.0)
    logits[0, 1] = logits[0].max() + 800.0
    grad_out = torch.tensor(1.0, dtype=F64)
    loss, dlogits = tools.run_layer(
        sub, "softmax_ce_forward", "softmax_ce_backward", [logits, y], grad_out
    )
    unstable = "large logits overflow: subtract the row maximum before exponentiating"
    loss = tools.scalar(expect.tensor(loss, "softmax_ce_forward must return the loss as a tensor"))
    expect.true(torch.isfinite(loss).all(), "the loss is not finite: " + unstable)
    expect.close(loss, F.cross_entropy(logits, y), "the loss is wrong for large logits")
    dlogits = expect.tensor(dlogits, "softmax_ce_backward must return a tensor")
    expect.true(torch.isfinite(dlogits).all(), "dlogits is not finite: " + unstable)
    expect.close(
        dlogits, autograd_dlogits(logits, y, grad_out), "dlogits is wrong for large logits"
    )
