"""Task 3: sampling the closed-form marginal q(x_t | x₀)."""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_q_sample")
T = 10
BROADCAST_HINT = (
    "index the schedule with t and reshape the (B,) coefficients to (B, 1, …, 1) so they "
    "broadcast over every data dimension"
)


def _inputs(seed: int, shape: tuple[int, ...], dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(shape, generator=g, dtype=dtype)
    noise = torch.randn(shape, generator=g, dtype=dtype)
    t = torch.randint(0, T, (shape[0],), generator=g)
    t[0], t[-1] = 0, T - 1
    return x0, t, noise


def _marginal(x0, t, noise, signal2, noise2):
    """signal2[t]·x₀ + noise2[t]·ε with per-example coefficients (already square-rooted)."""
    shape = (-1, *([1] * (x0.dim() - 1)))
    return signal2[t].reshape(shape) * x0 + noise2[t].reshape(shape) * noise


def _expected_and_bugs(sv, x0, t, noise):
    ab, ab_prev, b = sv["alphas_cumprod"], sv["alphas_cumprod_prev"], sv["betas"]
    a = sv["alphas"]
    m = lambda s, n: _marginal(x0, t, noise, s, n)  # noqa: E731
    expected = m(ab.sqrt(), (1 - ab).sqrt())
    bugs = {
        "q_sample uses ᾱ_{t−1} instead of ᾱ_t (off by one: timestep t already includes step t)": m(
            ab_prev.sqrt(), (1 - ab_prev).sqrt()
        ),
        "q_sample uses the one-step α_t instead of the cumulative ᾱ_t": m(a.sqrt(), b.sqrt()),
        "q_sample scales the noise by √β_t instead of √(1 − ᾱ_t)": m(ab.sqrt(), b.sqrt()),
        "q_sample misses the square roots: the coefficients are √ᾱ_t and √(1 − ᾱ_t)": m(ab, 1 - ab),
        "q_sample misses the square root of 1 − ᾱ_t": m(ab.sqrt(), 1 - ab),
        "q_sample swaps the two coefficients (√ᾱ_t multiplies x₀, √(1 − ᾱ_t) the noise)": m(
            (1 - ab).sqrt(), ab.sqrt()
        ),
    }
    return expected, bugs


@pytest.mark.visible
def test_flat_data(sub, cf, make_schedule, seed):
    """Does q_sample give √ᾱ_t x₀ + √(1 − ᾱ_t) ε for data of shape (B, D)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    x0, t, noise = _inputs(seed, (6, 3))
    out = sub.q_sample(x0, t, noise, sched)
    expected, bugs = _expected_and_bugs(sv, x0, t, noise)
    expect.close(out, expected, "q_sample is wrong on (B, D) data", diagnoses=bugs)


def test_image_data(sub, cf, make_schedule, seed):
    """Does q_sample broadcast the per-example coefficients over (B, C, H, W) data?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    sub.q_sample(*_inputs(seed, (4, 2))[:3], sched)
    x0, t, noise = _inputs(seed + 1, (3, 2, 4, 5))
    try:
        out = sub.q_sample(x0, t, noise, sched)
    except StudentError as exc:
        expect.fail(
            f"q_sample fails on image-shaped data (B, C, H, W) ({exc.type}): {BROADCAST_HINT}"
        )
    expected, bugs = _expected_and_bugs(sv, x0, t, noise)
    expect.close(out, expected, "q_sample is wrong on (B, C, H, W) data", diagnoses=bugs)


def test_keeps_dtype(sub, cf, make_schedule, seed):
    """Does q_sample return float32 for float32 data (the schedule itself is float64)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    x0, t, noise = _inputs(seed, (5, 2), dtype=torch.float32)
    out = expect.tensor(sub.q_sample(x0, t, noise, sched), "q_sample must return a tensor")
    expect.true(
        out.dtype == torch.float32,
        f"q_sample returns {str(out.dtype).removeprefix('torch.')} for float32 data: convert "
        "the float64 coefficients to x0's dtype (e.g. .to(x0.dtype)) so a float32 network "
        "can take the result",
    )
    expected, _ = _expected_and_bugs(sv, x0.double(), t, noise.double())
    expect.close(out, expected, "q_sample is wrong on float32 data", rtol=1e-5, atol=1e-5)


@pytest.mark.points(2)
def test_matches_forward_chain(sub, cf, make_schedule, seed):
    """Do q_sample's samples have the law of t+1 one-step kernels q(x_s | x_{s−1}) (5σ band)?"""
    betas = cf.increasing_betas(T, seed)
    sv, sched = make_schedule(betas)
    n = 20000
    g = torch.Generator().manual_seed(seed)
    x0 = torch.tensor([1.7, -0.6], dtype=torch.float64).expand(n, 2).clone()
    for step in (0, 1, T // 2, T - 1):
        chain = x0.clone()
        for s in range(step + 1):
            z = torch.randn(n, 2, generator=g, dtype=torch.float64)
            chain = math.sqrt(1 - betas[s]) * chain + math.sqrt(betas[s]) * z
        noise = torch.randn(n, 2, generator=g, dtype=torch.float64)
        t = torch.full((n,), step, dtype=torch.long)
        out = expect.tensor(sub.q_sample(x0, t, noise, sched), "q_sample must return a tensor")
        expect.shape(out, (n, 2), "q_sample must keep the shape of x0")
        out = out.double()
        z_mean = (out.mean(0) - chain.mean(0)) / (out.var(0) / n + chain.var(0) / n).sqrt()
        z_var = (out.var(0) - chain.var(0)) / (
            (2 * out.var(0) ** 2 / (n - 1) + 2 * chain.var(0) ** 2 / (n - 1)).sqrt() + 1e-300
        )
        if step == 0 and out.var(0).max() < 1e-3 * chain.var(0).min():
            expect.fail(
                "q_sample adds no noise at t = 0: timestep 0 is already one forward step from "
                "x₀ (ᾱ₀ = α₀ = 1 − β₀); only ᾱ₋₁ = 1"
            )
        expect.true(
            torch.isfinite(z_mean).all() and z_mean.abs().max() <= 5,
            f"at t = {step}, the mean of q_sample(x0, t, ε ~ N(0, I)) differs from the mean of "
            f"{step + 1} forward steps x_s = √α_s x_(s−1) + √β_s ε_s by more than 5 standard errors",
        )
        expect.true(
            torch.isfinite(z_var).all() and z_var.abs().max() <= 5,
            f"at t = {step}, the variance of q_sample(x0, t, ε ~ N(0, I)) differs from the "
            f"variance of {step + 1} forward steps by more than 5 standard errors",
        )
