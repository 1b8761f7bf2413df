"""Task 3: the VICReg loss (invariance, variance hinge, covariance)."""

from __future__ import annotations

import math
from types import ModuleType, SimpleNamespace

import pytest
import torch

from dlgrade.grading import StudentError, expect
from dlgrade.grading.proxy import Submission

pytestmark = pytest.mark.task("test_vicreg")

INVARIANCE = {"sim_coeff": 1.0, "std_coeff": 0.0, "cov_coeff": 0.0}
VARIANCE = {"sim_coeff": 0.0, "std_coeff": 1.0, "cov_coeff": 0.0}
COVARIANCE = {"sim_coeff": 0.0, "std_coeff": 0.0, "cov_coeff": 1.0}


def _views(
    data: SimpleNamespace, seed: int, n: int = 10, d: int = 4
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two correlated views whose dimensions have standard deviations from about 0.3 to
    2.5 (so that some hinges are active and some not) and correlate with each other."""
    spread = torch.linspace(0.3, 2.5, d, dtype=torch.float64)
    mix = torch.eye(d, dtype=torch.float64) + 0.4 * data.randn(seed, d, d)
    z1 = (data.randn(seed + 1, n, d) @ mix) * spread + 0.5
    return z1, z1 + data.randn(seed + 2, n, d, scale=0.3)


def _term_diagnoses(
    trusted: ModuleType, z1: torch.Tensor, z2: torch.Tensor, coeffs: dict, **kw: float
) -> dict:
    def wrong(**options: object) -> torch.Tensor:
        return trusted.vicreg(z1, z2, **coeffs, **kw, **options)

    return {
        "the invariance term sums over the dimensions: it is the mean over all n*d entries "
        "(F.mse_loss)": wrong(invariance="sum_d"),
        "the invariance term is a sum: it is the mean over all n*d entries (F.mse_loss)": wrong(
            invariance="sum"
        ),
        "the variance is biased (divided by n): use the unbiased variance, z.var(dim=0)": wrong(
            unbiased=False
        ),
        "eps is added to the standard deviation; it goes inside the square root, "
        "sqrt(Var + eps)": wrong(eps_inside=False),
        "the variance term has no hinge: it is max(0, gamma - std), dimensions with a "
        "standard deviation above gamma cost nothing": wrong(hinge=False),
        "the hinge is applied to the variance; it is applied to the standard deviation "
        "sqrt(Var + eps)": wrong(hinge_on_variance=True),
        "the covariance includes the diagonal: only the off-diagonal entries are penalised": (
            wrong(diagonal=True)
        ),
        "the covariance is not centred: subtract the batch mean from z first": wrong(centred=False),
        "the covariance is divided by n; it is divided by n - 1": wrong(cov_norm="n"),
        "the squared covariances are divided by d*d; they are divided by d": wrong(cov_by="d2"),
        "the squared covariances are not divided by d": wrong(cov_by="1"),
        "the squared covariances are divided by d(d-1); they are divided by d": wrong(
            cov_by="dd-1"
        ),
        "the variance and covariance terms cover only z1; add those of z2": wrong(branches="first"),
        "the variance terms are halved, as in the official code: this notebook adds them, "
        "std_coeff * (v(Z) + v(Z'))": wrong(branches="half_variance"),
        "the two branches' terms are averaged; VICReg adds them, v(Z) + v(Z') and "
        "c(Z) + c(Z')": wrong(branches="average"),
    }


def _check(
    sub: Submission,
    trusted: ModuleType,
    data: SimpleNamespace,
    z1: torch.Tensor,
    z2: torch.Tensor,
    coeffs: dict,
    message: str,
    **kw: float,
) -> None:
    loss = data.scalar(sub.vicreg_loss(z1, z2, **coeffs, **kw), "vicreg_loss")
    expect.close(
        loss,
        trusted.vicreg(z1, z2, **coeffs, **kw),
        message,
        diagnoses=_term_diagnoses(trusted, z1, z2, coeffs, **kw),
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is vicreg_loss the VICReg loss with the paper's coefficients (25, 25, 1)?"""
    z1, z2 = _views(data, seed)
    loss = data.scalar(sub.vicreg_loss(z1, z2), "vicreg_loss")
    expected = trusted.vicreg(z1, z2)
    diagnoses = _term_diagnoses(trusted, z1, z2, {})
    diagnoses["the default coefficients are not sim_coeff=25, std_coeff=25, cov_coeff=1"] = (
        trusted.vicreg(z1, z2, 1.0, 1.0, 1.0)
    )
    expect.close(loss, expected, "vicreg_loss is wrong", diagnoses=diagnoses)
    _check(sub, trusted, data, z1, z2, {"sim_coeff": 3.0, "std_coeff": 2.0, "cov_coeff": 0.5},
           "vicreg_loss is wrong for other coefficients")  # fmt: skip


@pytest.mark.points(1)
def test_invariance_term(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """With only sim_coeff, is the loss the mean squared difference of the views?"""
    z1, z2 = _views(data, seed, n=7, d=5)
    _check(sub, trusted, data, z1, z2, INVARIANCE, "the invariance term of vicreg_loss is wrong")


@pytest.mark.points(2)
def test_variance_term(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """With only std_coeff, is the loss v(Z) + v(Z'), the hinge on sqrt(Var + eps)?"""
    z1, z2 = _views(data, seed, n=6, d=5)
    _check(sub, trusted, data, z1, z2, VARIANCE, "the variance term of vicreg_loss is wrong")
    _check(sub, trusted, data, z1, z2, VARIANCE,
           "the variance term of vicreg_loss is wrong for gamma=2 and eps=0.01",
           gamma=2.0, eps=0.01)  # fmt: skip
    flat = torch.full((5, 3), 0.7, dtype=torch.float64)
    collapsed = data.scalar(sub.vicreg_loss(flat, flat, **VARIANCE), "vicreg_loss")
    expect.close(
        collapsed,
        2 * (1 - math.sqrt(1e-4)),
        "for a collapsed batch (every row equal) each hinge is gamma - sqrt(eps)",
        diagnoses=_term_diagnoses(trusted, flat, flat, VARIANCE),
    )


@pytest.mark.points(2)
def test_covariance_term(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """With only cov_coeff, is the loss c(Z) + c(Z'), the off-diagonal squared covariances / d?"""
    z1, z2 = _views(data, seed, n=9, d=4)
    _check(sub, trusted, data, z1, z2, COVARIANCE, "the covariance term of vicreg_loss is wrong")
    z1, z2 = _views(data, seed + 3, n=5, d=6)
    _check(sub, trusted, data, z1, z2, COVARIANCE,
           "the covariance term of vicreg_loss is wrong for 6 dimensions")  # fmt: skip


@pytest.mark.points(1)
def test_gradients(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """Does loss.backward() give z1 and z2 the gradients of the VICReg loss?"""
    z1, z2 = _views(data, seed, n=8, d=3)
    try:
        loss, grads = sub.builtins.vjp(sub.vicreg_loss, [z1, z2], torch.tensor(1.0))
    except StudentError as exc:
        expect.fail(
            f"differentiating vicreg_loss raised {exc.type}: return the loss as a tensor "
            "connected to z1 and z2 (no .item(), .detach() or torch.no_grad())"
        )
    expect.true(
        grads[0] is not None and grads[1] is not None,
        "no gradient reaches z1 or z2: compute the loss from them with torch operations",
    )
    a, b = z1.clone().requires_grad_(True), z2.clone().requires_grad_(True)
    expected = torch.autograd.grad(trusted.vicreg(a, b), [a, b])
    expect.close(
        torch.cat([grads[0].reshape(-1), grads[1].reshape(-1)]),
        torch.cat([g.reshape(-1) for g in expected]),
        "the gradients of vicreg_loss with respect to z1 and z2 are wrong",
    )
    expect.close(loss, trusted.vicreg(z1, z2), "vicreg_loss is wrong")
