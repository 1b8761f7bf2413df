"""Task 2: nll_from_logits(logits, targets), the mean negative log-likelihood of a softmax
classifier. Expected values and gradients come from F.cross_entropy, computed here."""

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_nll")
MSG = "nll_from_logits is wrong"
LIBRARY = {"cross_entropy", "nll_loss", "log_softmax", "CrossEntropyLoss", "NLLLoss", "softmax"}


def batch(gen, n=6, c=4, scale=2.0, dtype=torch.float64):
    logits = scale * torch.randn(n, c, generator=gen, dtype=dtype)
    return logits, torch.randint(0, c, (n,), generator=gen)


def diagnoses(logits, y):
    per_example = F.cross_entropy(logits, y, reduction="none")
    return {
        "return the mean over the batch, not the sum": per_example.sum(),
        "the result has the wrong sign: the loss is -log softmax(z)_y": -per_example.mean(),
        "the softmax is taken over the batch (dim 0) instead of the classes (dim 1)": -(
            logits.log_softmax(0).gather(1, y[:, None]).mean()
        ),
        "the log-sum-exp term is missing: the loss is -z_y + log Σ_j exp(z_j)": -(
            logits.gather(1, y[:, None]).mean()
        ),
    }


@pytest.mark.points(1)
@pytest.mark.visible
def test_matches_cross_entropy(sub, scalar, gen):
    """The mean NLL equals F.cross_entropy on a random float64 batch."""
    logits, y = batch(gen)
    got = scalar(sub.helpers.call(sub.nll_from_logits, [logits, y]), "nll_from_logits (the mean)")
    expect.close(got, F.cross_entropy(logits, y), MSG, diagnoses=diagnoses(logits, y))
    logits, y = batch(gen, n=9, c=3, dtype=torch.float32)
    got = scalar(sub.helpers.call(sub.nll_from_logits, [logits, y]), "nll_from_logits")
    expect.true(got.dtype == torch.float32, f"float32 logits gave a {got.dtype} loss")
    expect.close(got, F.cross_entropy(logits, y), MSG + " for float32 logits", rtol=1e-5)


@pytest.mark.points(1)
def test_large_logits_are_stable(sub, source, scalar, gen):
    """Logits of size ~1000 (float32) give the exact finite loss, with your own log-sum-exp."""
    logits, y = batch(gen, n=8, c=5, scale=1000.0, dtype=torch.float32)
    logits[0, y[0]] = 1500.0  # one example is confidently right (loss 0)
    got = scalar(sub.helpers.call(sub.nll_from_logits, [logits, y]), "nll_from_logits")
    expect.true(
        torch.isfinite(got).all(),
        "large logits give inf or NaN: use the log-sum-exp trick (or torch.logsumexp)",
    )
    expect.close(got, F.cross_entropy(logits, y), MSG + " for large logits", rtol=1e-5)
    used = {u for u in source.calls_in("nll_from_logits") if u.split(".")[-1] in LIBRARY}
    expect.true(
        not used,
        f"nll_from_logits uses {', '.join(sorted(used))}: compute -z_y + logsumexp(z) yourself",
    )


@pytest.mark.points(1)
def test_gradient(sub, gen):
    """The gradient with respect to the logits equals autograd's through F.cross_entropy."""
    logits, y = batch(gen, n=5, c=4)
    grads = sub.helpers.grad(sub.nll_from_logits, [logits, y])
    leaf = logits.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(F.cross_entropy(leaf, y), leaf)
    expect.true(grads[0] is not None, "no gradient reaches the logits (no .detach() or .item())")
    expect.close(
        grads[0], want, "the gradient of nll_from_logits with respect to the logits is wrong"
    )
