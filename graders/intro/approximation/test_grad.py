"""Task 5: the analytic gradient of the softmax-regression NLL, checked against autograd."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

raised = load_grader_module(Path(__file__).with_name("common.py")).raised

pytestmark = pytest.mark.task("test_grad")


def problem(gen, n, d, c, w_scale=1.0, dtype=torch.float64):
    X = torch.randn(n, d, generator=gen, dtype=torch.float64)
    y = torch.randint(0, c, (n,), generator=gen)
    W = w_scale * torch.randn(d, c, generator=gen, dtype=torch.float64)
    b = torch.randn(c, generator=gen, dtype=torch.float64)
    return W.to(dtype), b.to(dtype), X.to(dtype), y


def autograd_grads(W, b, X, y):
    """(dW, db) of F.cross_entropy(X @ W + b, y), by torch.autograd."""
    Wr, br = W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    return torch.autograd.grad(F.cross_entropy(X @ Wr + br, y), (Wr, br))


def grads(sub, W, b, X, y):
    try:
        out = sub.softmax_regression_grad(W, b, X, y)
    except StudentError as exc:
        expect.fail(raised("softmax_regression_grad", exc))
    expect.true(
        isinstance(out, (tuple, list)) and len(out) == 2,
        "softmax_regression_grad must return a tuple (dW, db)",
    )
    expect.shape(out[0], tuple(W.shape), "dW must have the shape of W, (D, C)")
    expect.shape(out[1], tuple(b.shape), "db must have the shape of b, (C,)")
    return out


def mistakes(W, b, X, y, which: int) -> dict:
    n, c = X.shape[0], W.shape[1]
    P = torch.softmax(X @ W + b, -1)
    exact = autograd_grads(W, b, X, y)[which]
    no_labels = (X.T @ P / n, P.mean(0))[which]
    return {
        "the gradient is summed over the examples, not averaged (missing 1/N)": exact * n,
        "the sign is wrong: the gradient of the NLL is (P - Y), not (Y - P)": -exact,
        "the one-hot labels Y are not subtracted from P": no_labels,
        "it is divided by the number of classes, not the number of examples": exact * n / c,
    }


@pytest.mark.points(3)
def test_matches_autograd(sub, gen):
    """dW and db equal torch.autograd's gradients of the mean NLL on random problems
    (several sizes, float64)."""
    for n, d, c in ((7, 5, 4), (12, 3, 6)):
        W, b, X, y = problem(gen, n, d, c)
        dW, db = grads(sub, W, b, X, y)
        eW, eb = autograd_grads(W, b, X, y)
        expect.close(dW, eW, "dW is wrong", diagnoses=mistakes(W, b, X, y, 0))
        expect.close(db, eb, "db is wrong", diagnoses=mistakes(W, b, X, y, 1))


@pytest.mark.points(1)
def test_large_logits_and_float32(sub, gen):
    """With logits in the thousands (float64) and in float32 the gradients stay finite,
    correct, and in the dtype of X."""
    for scale, dtype in ((2000.0, torch.float64), (1.0, torch.float32), (500.0, torch.float32)):
        W, b, X, y = problem(gen, 8, 4, 5, w_scale=scale, dtype=dtype)
        dW, db = grads(sub, W, b, X, y)
        for got, name in ((dW, "dW"), (db, "db")):
            got = expect.tensor(got)
            expect.true(got.dtype == dtype, f"{name} must have the dtype of X ({dtype})")
            expect.true(
                torch.isfinite(got).all(),
                f"{name} contains NaN or inf for large logits: compute P with your stable softmax",
            )
        eW, eb = autograd_grads(W, b, X, y)
        tol = {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {}
        expect.close(dW, eW, f"dW is wrong for large logits or {dtype}", **tol)
        expect.close(db, eb, f"db is wrong for large logits or {dtype}", **tol)


@pytest.mark.points(1)
def test_no_autograd(sub, source, gen, builtins_used, require_defined):
    """A working softmax_regression_grad that uses the formula, not autograd."""
    require_defined(source, ["softmax_regression_grad"])
    W, b, X, y = problem(gen, 6, 3, 4)
    dW, db = grads(sub, W, b, X, y)
    eW, eb = autograd_grads(W, b, X, y)
    expect.true(
        expect.is_close(dW, eW) and expect.is_close(db, eb),
        "this point is for a working gradient written from the formula: dW or db is wrong",
    )
    used = builtins_used(source, "softmax_regression_grad", frozenset({"backward", "grad"}))
    expect.true(
        not used,
        "softmax_regression_grad uses autograd or torch's losses ("
        + ", ".join(sorted(used))
        + "); compute X^T (P - Y) / N and the mean of P - Y yourself",
    )
