"""Task 1: linear and cosine β schedules."""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_schedules")


def _cos_alpha_bar(T: int, s: float, *, square=True, shift=1, scale=True) -> torch.Tensor:
    """ᾱ_t = f(t + shift)/f(0) for t = 0..T−1 (the correct form: shift 1, squared, /(1+s))."""

    def f(tau):
        c = math.cos((tau / T + s) / ((1 + s) if scale else 1) * math.pi / 2)
        return c**2 if square else c

    return torch.tensor([f(t + shift) / f(0) for t in range(T)], dtype=torch.float64)


def _implied_alpha_bar(betas: torch.Tensor) -> torch.Tensor:
    return torch.cumprod(1 - betas.double(), dim=0)


def _cosine_defects(T: int, s: float) -> dict:
    """ᾱ_0 … ᾱ_{T−2} that typical misreadings of the cosine schedule give."""
    wrong = {
        "ᾱ_t is f(t)/f(0) instead of f(t+1)/f(0): the first β is 0 (off by one)": dict(shift=0),
        "f(τ) must be the *squared* cosine": dict(square=False),
        "the argument of the cosine must be divided by (1 + s)": dict(scale=False),
    }
    return {
        **{msg: _cos_alpha_bar(T, s, **kw)[: T - 1] for msg, kw in wrong.items()},
        "the offset s is ignored (a fixed value is used)": _cos_alpha_bar(T, 0.008)[: T - 1],
        "the offset s is missing from the formula": _cos_alpha_bar(T, 0.0)[: T - 1],
    }


def require_schedules(sub) -> None:
    """The dtype and clipping tests pay for working schedules only: the linear one must be
    evenly spaced and the cosine one must give the ᾱ_t of the formula, or what a typical
    mistake gives (constants of the right dtype have the properties too)."""
    T, s = 10, 0.05
    linear = expect.tensor(sub.linear_beta_schedule(T, 1e-3, 0.05), "linear_beta_schedule")
    linear_ok = any(
        expect.is_close(linear, c, rtol=1e-5, atol=1e-9)
        for c in (
            torch.tensor([1e-3 + (0.05 - 1e-3) * i / (T - 1) for i in range(T)]).double(),
            torch.linspace(1e-4, 0.02, T, dtype=torch.float64),
        )
    )
    cosine = expect.tensor(sub.cosine_beta_schedule(T, s), "cosine_beta_schedule")
    cosine_ok = tuple(cosine.shape) == (T,) and any(
        expect.is_close(_implied_alpha_bar(cosine)[: T - 1], c, rtol=1e-5, atol=1e-7)
        for c in (_cos_alpha_bar(T, s)[: T - 1], *_cosine_defects(T, s).values())
    )
    expect.true(
        linear_ok and cosine_ok,
        "this point is for working schedules: "
        + ("the cosine schedule" if linear_ok else "linear_beta_schedule")
        + " does not compute the schedule of the notebook (nor a typical mistake in it)",
    )


@pytest.mark.visible
def test_linear_values(sub):
    """Does linear_beta_schedule space T values evenly from beta_start to beta_end?"""
    for T, lo, hi in ((10, 1e-4, 0.02), (7, 1e-3, 0.05)):
        betas = expect.tensor(sub.linear_beta_schedule(T, lo, hi), "linear_beta_schedule")
        expect.shape(betas, (T,), f"linear_beta_schedule({T}, ...) must return T values")
        expected = torch.tensor([lo + (hi - lo) * i / (T - 1) for i in range(T)])
        expect.close(
            betas,
            expected.double(),
            f"linear_beta_schedule({T}, {lo}, {hi}) is wrong",
            rtol=1e-5,
            atol=1e-9,
            diagnoses={
                "beta_start and beta_end are ignored (the defaults are hard-coded)": torch.linspace(
                    1e-4, 0.02, T, dtype=torch.float64
                ),
            },
        )
    defaults = expect.tensor(sub.linear_beta_schedule(5), "linear_beta_schedule(5)")
    expect.close(
        defaults,
        torch.linspace(1e-4, 0.02, 5, dtype=torch.float64),
        "linear_beta_schedule(T) must default to beta_start=1e-4, beta_end=0.02",
        rtol=1e-5,
        atol=1e-9,
    )


def test_dtype(sub):
    """Are both schedules float64 tensors, as the notebook asks?"""
    for name, call in (
        ("linear_beta_schedule", lambda: sub.linear_beta_schedule(8)),
        ("cosine_beta_schedule", lambda: sub.cosine_beta_schedule(8)),
    ):
        betas = expect.tensor(call(), name)
        expect.true(
            betas.dtype == torch.float64,
            f"{name} returns {str(betas.dtype).removeprefix('torch.')}: build it in float64 "
            "(products of many α's lose precision in float32)",
        )
    require_schedules(sub)


@pytest.mark.points(2)
def test_cosine_alpha_bar(sub):
    """Does the cosine schedule give ᾱ_t = f(t+1)/f(0) with f(τ) = cos²((τ/T + s)/(1+s)·π/2)?"""
    for T, s in ((20, 0.008), (15, 0.05)):
        betas = expect.tensor(sub.cosine_beta_schedule(T, s), "cosine_beta_schedule")
        if betas.dim() == 1 and betas.shape[0] == T - 1:
            expect.fail(
                f"cosine_beta_schedule({T}) returns T−1 values: evaluate f at the T+1 points "
                "τ = 0, …, T and take β_t = 1 − ᾱ(t+1)/ᾱ(t) for t = 0, …, T−1"
            )
        expect.shape(betas, (T,), f"cosine_beta_schedule({T}, s) must return T values")
        implied = _implied_alpha_bar(betas)[: T - 1]
        expect.close(
            implied,
            _cos_alpha_bar(T, s)[: T - 1],
            f"the cumulative product ᾱ_t of cosine_beta_schedule({T}, s={s}) does not match "
            "f(t+1)/f(0)",
            rtol=1e-5,
            atol=1e-7,
            diagnoses=_cosine_defects(T, s),
        )


def test_cosine_clipping_and_monotonicity(sub):
    """Are the cosine β's positive, non-decreasing and clipped at 0.999 (the last one)?"""
    T = 12
    betas = expect.tensor(sub.cosine_beta_schedule(T), "cosine_beta_schedule").double()
    expect.shape(betas, (T,), f"cosine_beta_schedule({T}) must return T values")
    expect.true(torch.isfinite(betas).all(), "cosine_beta_schedule contains NaN or inf")
    expect.true(
        betas.max() <= 0.999 + 1e-12,
        "β is not clipped: the last step would give β = 1 (ᾱ = 0); clip β at 0.999",
    )
    expect.close(
        betas[-1],
        torch.tensor(0.999, dtype=torch.float64),
        "the last cosine β must be clipped to exactly 0.999",
        rtol=0,
        atol=1e-9,
    )
    expect.true((betas > 0).all(), "every cosine β must be strictly positive")
    expect.true((betas[1:] >= betas[:-1] - 1e-12).all(), "cosine β's must not decrease with t")
    linear = expect.tensor(sub.linear_beta_schedule(T), "linear_beta_schedule").double()
    expect.shape(linear, (T,), "linear_beta_schedule must return T values")
    expect.true((linear[1:] > linear[:-1]).all(), "linear β's must increase with t")
    require_schedules(sub)
