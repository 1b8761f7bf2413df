"""Task 2: the DiffusionSchedule's derived tensors, against an independent derivation."""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_diffusion_schedule")
T = 9


def _attribute(sub, sched, name: str) -> torch.Tensor:
    try:
        value = sub.get(getattr(sched, name))
    except StudentError as exc:
        if exc.type != "AttributeError":
            raise
        expect.fail(f"DiffusionSchedule has no attribute `{name}`")
    t = expect.tensor(value, f"DiffusionSchedule.{name} must be a tensor")
    expect.shape(t, (T,), f"DiffusionSchedule.{name} must have one entry per timestep")
    return t


def _shift(x: torch.Tensor, first: float) -> torch.Tensor:
    return torch.cat([torch.full((1,), first, dtype=x.dtype), x[:-1]])


@pytest.fixture
def schedule(sub, cf, seed):
    betas = cf.increasing_betas(T, seed)
    return cf.schedule_values(betas), sub.DiffusionSchedule(betas)


@pytest.mark.visible
def test_alphas_and_cumprod(sub, schedule):
    """Are alphas = 1 − β and alphas_cumprod = ∏_{s≤t} α_s, stored in float64?"""
    sv, sched = schedule
    alphas = _attribute(sub, sched, "alphas")
    expect.close(alphas, sv["alphas"], "alphas must be 1 − β_t")
    ab = _attribute(sub, sched, "alphas_cumprod")
    expect.close(
        ab,
        sv["alphas_cumprod"],
        "alphas_cumprod must be the running product ᾱ_t = α_0 α_1 ⋯ α_t",
        diagnoses={
            "alphas_cumprod is the cumulative product of β instead of α = 1 − β": torch.cumprod(
                sv["betas"], 0
            ),
            "alphas_cumprod starts one step late (ᾱ_0 must already be α_0)": _shift(
                sv["alphas_cumprod"], 1.0
            ),
            "alphas_cumprod is a cumulative sum, not a product": torch.cumsum(sv["alphas"], 0),
        },
    )
    for name, value in (("alphas", alphas), ("alphas_cumprod", ab)):
        dtype = value.dtype
        expect.true(
            dtype == torch.float64,
            f"DiffusionSchedule.{name} is {str(dtype).removeprefix('torch.')}: keep the "
            "schedule in float64",
        )


def test_alphas_cumprod_prev(sub, schedule):
    """Is alphas_cumprod_prev[t] = ᾱ_{t−1}, with ᾱ₋₁ = 1?"""
    sv, sched = schedule
    prev = _attribute(sub, sched, "alphas_cumprod_prev")
    ab = sv["alphas_cumprod"]
    expect.close(
        prev,
        sv["alphas_cumprod_prev"],
        "alphas_cumprod_prev[t] must be ᾱ_{t−1} with ᾱ₋₁ = 1",
        diagnoses={
            "alphas_cumprod_prev is not shifted: it equals alphas_cumprod": ab,
            "alphas_cumprod_prev is shifted the wrong way (it holds ᾱ_{t+1})": torch.cat(
                [ab[1:], torch.zeros(1, dtype=ab.dtype)]
            ),
            "alphas_cumprod_prev[0] must be ᾱ₋₁ = 1, not 0": _shift(ab, 0.0),
            "alphas_cumprod_prev is shifted the wrong way (it holds ᾱ_{t+1}, padded with 1)": (
                torch.cat([ab[1:], torch.ones(1, dtype=ab.dtype)])
            ),
        },
    )


def test_posterior_variance(sub, schedule):
    """Is posterior_variance the variance of q(x_{t−1} | x_t, x₀) (Bayes' rule, 0 at t = 0)?"""
    sv, sched = schedule
    var = _attribute(sub, sched, "posterior_variance")
    b, ab, ab_prev = sv["betas"], sv["alphas_cumprod"], sv["alphas_cumprod_prev"]
    expect.close(
        var,
        sv["posterior_variance"],
        "posterior_variance is not the variance of q(x_{t−1} | x_t, x₀)",
        diagnoses={
            "posterior_variance is β_t; it must be β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)": b,
            "the ratio in β̃_t is upside down: it is (1 − ᾱ_{t−1}) / (1 − ᾱ_t), not the reverse": (
                b * (1 - ab) / (1 - ab_prev).clamp_min(1e-300)
            ),
            "posterior_variance is a standard deviation: do not take its square root": sv[
                "posterior_variance"
            ].sqrt(),
        },
    )


def test_posterior_mean_coefficients(sub, schedule):
    """Do posterior_mean_coef1/2 weight x₀ and x_t as Bayes' rule says?"""
    sv, sched = schedule
    c1 = _attribute(sub, sched, "posterior_mean_coef1")
    c2 = _attribute(sub, sched, "posterior_mean_coef2")
    b, a, ab, ab_prev = sv["betas"], sv["alphas"], sv["alphas_cumprod"], sv["alphas_cumprod_prev"]
    e1, e2 = sv["posterior_mean_coef1"], sv["posterior_mean_coef2"]
    swapped = "posterior_mean_coef1 and posterior_mean_coef2 are swapped (coef1 multiplies x₀)"
    expect.close(
        c1,
        e1,
        "posterior_mean_coef1 (the weight of x₀) is wrong",
        diagnoses={
            swapped: e2,
            "posterior_mean_coef1 misses the square root of ᾱ_{t−1}": b * ab_prev / (1 - ab),
            "posterior_mean_coef1 uses ᾱ_t instead of ᾱ_{t−1}": b * ab.sqrt() / (1 - ab),
        },
    )
    expect.close(
        c2,
        e2,
        "posterior_mean_coef2 (the weight of x_t) is wrong",
        diagnoses={
            swapped: e1,
            "posterior_mean_coef2 misses the square root of α_t": (1 - ab_prev) * a / (1 - ab),
            "posterior_mean_coef2 uses √ᾱ_t instead of √α_t": (1 - ab_prev) * ab.sqrt() / (1 - ab),
        },
    )
