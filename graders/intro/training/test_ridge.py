"""Task 3: ridge_loss(w, b, X, y, alpha) and ridge_fit(X, y, alpha).

The fitted weights are compared with sklearn.linear_model.Ridge, computed here; the loss
with the reference notebook's, and its gradient with autograd through the reference."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import Ridge

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_ridge")
LOSS_MSG = "ridge_loss is wrong"
FIT_MSG = "ridge_fit's weights differ from sklearn's Ridge"


def data(gen, n=12, d=3, dtype=torch.float64):
    X = torch.randn(n, d, generator=gen, dtype=dtype) * 2 + 1
    w = torch.randn(d, generator=gen, dtype=dtype)
    y = X @ w + 3.0 + 0.5 * torch.randn(n, generator=gen, dtype=dtype)
    return X, y


def sk_ridge(X, y, alpha, **kw):
    m = Ridge(alpha=alpha, **kw).fit(X.double().numpy(), y.double().numpy())
    return torch.from_numpy(np.atleast_1d(m.coef_)), torch.tensor(float(m.intercept_))


def fit_diagnoses(X, y, alpha):
    n = X.shape[0]
    ones = torch.cat([X, torch.ones(n, 1, dtype=X.dtype)], 1)
    both = sk_ridge(ones, y, alpha, fit_intercept=False)[0]
    return {
        "the intercept is penalised too: only ||w||² is, so centre X and y first": both[:-1],
        "the intercept is missing: centre X and y (b = ȳ - x̄ᵀw)": sk_ridge(
            X, y, alpha, fit_intercept=False
        )[0],
        "the penalty is α·N·||w||²: the ridge loss is a sum, not a mean, of squared errors": (
            sk_ridge(X, y, alpha * n)[0]
        ),
        "the penalty is α/2·||w||², not α·||w||²": sk_ridge(X, y, alpha / 2)[0],
        "the penalty is 2α·||w||², not α·||w||²": sk_ridge(X, y, alpha * 2)[0],
        "α is ignored": sk_ridge(X, y, 1e-12)[0],
    }


def loss_diagnoses(w, b, X, y, alpha):
    r = y - X @ w - b
    return {
        "use the sum of squared errors, not the mean": (r**2).mean() + alpha * (w**2).sum(),
        "the penalty is missing": (r**2).sum(),
        "the intercept must not be penalised": (r**2).sum() + alpha * ((w**2).sum() + b**2),
        "the penalty is α·||w||², not α·||w|| (square the norm)": (r**2).sum() + alpha * w.norm(),
        "the penalty is α·||w||², not α/2·||w||²": (r**2).sum() + alpha / 2 * (w**2).sum(),
    }


def read_fit(result, d, what=""):
    """(w, b) from a `sub.helpers.call(sub.ridge_fit, ...)` result."""
    out, shape = result["out"], result["shape"]
    expect.true(isinstance(out, (tuple, list)) and len(out) == 2, "ridge_fit must return (w, b)")
    w, b = out
    expect.shape(w, (d,), "w must have shape (D,)" + what)
    expect.true(shape[1] == [], "b must be a 0-dim tensor" + what)
    return expect.tensor(w), expect.tensor(b).reshape(())


@pytest.mark.points(1)
@pytest.mark.visible
def test_loss(sub, ref, scalar, gen):
    """ridge_loss equals the reference for random w, b, data and α (float64)."""
    X, y = data(gen)
    w = torch.randn(3, generator=gen, dtype=torch.float64)
    b = torch.tensor(0.7, dtype=torch.float64)
    got = scalar(sub.helpers.call(sub.ridge_loss, [w, b, X, y, 2.5], [1]), "ridge_loss")
    expect.close(
        got, ref.ridge_loss(w, b, X, y, 2.5), LOSS_MSG, diagnoses=loss_diagnoses(w, b, X, y, 2.5)
    )
    got = scalar(sub.helpers.call(sub.ridge_loss, [w, -1.5, X, y, 0.0]), "ridge_loss")
    expect.close(got, ref.ridge_loss(w, -1.5, X, y, 0.0), LOSS_MSG + " for a float b and α = 0")


@pytest.mark.points(1)
def test_loss_gradient(sub, ref, gen):
    """The gradient of ridge_loss with respect to w and b equals autograd's (float64)."""
    X, y = data(gen, n=7, d=4)
    w = torch.randn(4, generator=gen, dtype=torch.float64)
    b = torch.tensor(-0.3, dtype=torch.float64)
    grads = sub.helpers.grad(sub.ridge_loss, [w, b, X, y, 1.7], [1])
    leaves = [w.clone().requires_grad_(True), b.clone().requires_grad_(True)]
    want = torch.autograd.grad(ref.ridge_loss(*leaves, X, y, 1.7), leaves)
    for name, got, exp in zip(("w", "b"), grads[:2], want):
        expect.true(got is not None, f"no gradient of ridge_loss reaches {name}")
        got = expect.tensor(got, f"the gradient with respect to {name}").reshape(exp.shape)
        expect.close(got, exp, f"the gradient of ridge_loss with respect to {name} is wrong")


@pytest.mark.points(2)
def test_fit_matches_sklearn(sub, gen):
    """ridge_fit equals Ridge(alpha).fit(X, y)'s coef_ and intercept_ for several α."""
    X, y = data(gen, n=12, d=3)
    for alpha in (0.3, 4.0, 40.0):
        w, b = read_fit(sub.helpers.call(sub.ridge_fit, [X, y, alpha]), 3)
        want_w, want_b = sk_ridge(X, y, alpha)
        what = f" (α = {alpha})"
        expect.close(w, want_w, FIT_MSG + what, diagnoses=fit_diagnoses(X, y, alpha))
        expect.close(b, want_b, "ridge_fit's intercept differs from sklearn's Ridge" + what)


@pytest.mark.points(1)
def test_fit_wide_float32(sub, source, gen):
    """More features than samples (D > N) in float32: the dtype is kept, the fit matches
    sklearn, and ridge_fit solves the system itself (no sklearn, no explicit inverse)."""
    X, y = data(gen, n=5, d=8, dtype=torch.float32)
    w, b = read_fit(sub.helpers.call(sub.ridge_fit, [X, y, 1.5]), 8, " for D > N")
    expect.true(w.dtype == torch.float32, f"float32 inputs gave {w.dtype} weights")
    want_w, want_b = sk_ridge(X, y, 1.5)
    expect.close(w, want_w, FIT_MSG + " for D > N", rtol=1e-3, atol=1e-4)
    expect.close(b, want_b, "ridge_fit's intercept is wrong for D > N", rtol=1e-3, atol=1e-4)
    used = {
        u
        for u in source.calls_in("ridge_fit")
        if u.split(".")[-1] in ("Ridge", "inv", "pinv", "lstsq") or u.startswith("sklearn")
    }
    expect.true(
        not used,
        f"ridge_fit uses {', '.join(sorted(used))}: solve (X_cᵀX_c + αI) w = X_cᵀy_c "
        "with torch.linalg.solve",
    )
