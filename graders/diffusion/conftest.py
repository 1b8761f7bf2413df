"""Trusted closed forms and sandbox set-up shared by the diffusion graders.

Conventions (as in the notebook): timesteps t = 0, …, T−1, ᾱ_t = ∏_{s≤t} (1 − β_s),
ᾱ₋₁ = 1. Everything here runs in the grader process, in float64.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

SCHEDULE_FIELDS = (
    "betas",
    "alphas",
    "alphas_cumprod",
    "alphas_cumprod_prev",
    "posterior_variance",
    "posterior_mean_coef1",
    "posterior_mean_coef2",
)


def increasing_betas(T: int, seed: int, low: float = 0.01, high: float = 0.4) -> torch.Tensor:
    """A random increasing schedule: large, unequal steps make every formula bug visible."""
    g = torch.Generator().manual_seed(seed)
    u = low + (high - low) * torch.rand(T, generator=g, dtype=torch.float64)
    return torch.sort(u).values


def cosine_betas(T: int, s: float = 0.008) -> torch.Tensor:
    """Nichol & Dhariwal's schedule, written from ᾱ(τ) = f(τ)/f(0) for τ = 0..T."""
    f = [math.cos((tau / T + s) / (1 + s) * math.pi / 2) ** 2 for tau in range(T + 1)]
    return torch.tensor([min(1 - f[t + 1] / f[t], 0.999) for t in range(T)], dtype=torch.float64)


def bayes_posterior(betas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(variance, coef of x₀, coef of x_t) of q(x_{t−1} | x_t, x₀), by adding precisions.

    Prior  x_{t−1} | x₀ ~ N(√ᾱ_{t−1} x₀, 1 − ᾱ_{t−1});  likelihood  x_t | x_{t−1} ~
    N(√α_t x_{t−1}, β_t), i.e. precision α_t/β_t around x_t/√α_t. At t = 0 the prior is a
    point mass at x₀ (ᾱ₋₁ = 1): variance 0, mean x₀.
    """
    T = len(betas)
    var, c0, ct = (torch.zeros(T, dtype=torch.float64) for _ in range(3))
    ab_prev = 1.0
    for t in range(T):
        beta = float(betas[t])
        alpha = 1 - beta
        if t == 0:
            c0[t] = 1.0
        else:
            precision = 1 / (1 - ab_prev) + alpha / beta
            var[t] = 1 / precision
            c0[t] = var[t] * math.sqrt(ab_prev) / (1 - ab_prev)
            ct[t] = var[t] * math.sqrt(alpha) / beta
        ab_prev *= alpha
    return var, c0, ct


def schedule_values(betas: torch.Tensor) -> dict:
    """Every documented attribute of DiffusionSchedule(betas), derived independently."""
    betas = betas.to(torch.float64)
    alphas = 1 - betas
    ab, acc = [], 1.0
    for a in alphas.tolist():
        acc *= a
        ab.append(acc)
    ab = torch.tensor(ab, dtype=torch.float64)
    var, c0, ct = bayes_posterior(betas)
    return {
        "betas": betas,
        "alphas": alphas,
        "alphas_cumprod": ab,
        "alphas_cumprod_prev": torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]]),
        "posterior_variance": var,
        "posterior_mean_coef1": c0,
        "posterior_mean_coef2": ct,
        "num_timesteps": len(betas),
    }


def per_example(coef: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return coef[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def gaussian_eps(x, t, mean, std, ab) -> torch.Tensor:
    """E[ε | x_t] for data N(mean, diag(std²)): √(1−ᾱ)(x − √ᾱ μ) / (ᾱσ² + 1 − ᾱ)."""
    a = ab[t][:, None]
    return (1 - a).sqrt() * (x.double() - a.sqrt() * mean) / (a * std**2 + 1 - a)


def ancestral_law(mean, std, sv: dict, step_var=None, t0_noise: float = 0.0, order=None):
    """Exact (mean, variance) per dimension of ancestral sampling driven by the Gaussian
    oracle, started from N(0, I): every step is affine in x plus independent noise.

    `step_var[t]` is the noise variance added at step t ≥ 1 (default β̃_t) and `t0_noise`
    the variance added at t = 0; `order` lists the timesteps visited (default T−1 … 0).
    They let the graders predict the law a typical bug would produce.
    """
    ab = sv["alphas_cumprod"]
    step_var = sv["posterior_variance"] if step_var is None else step_var
    order = range(len(ab) - 1, -1, -1) if order is None else order
    E = torch.zeros_like(mean, dtype=torch.float64)
    V = torch.ones_like(mean, dtype=torch.float64)
    for t in order:
        a = float(ab[t])
        k = math.sqrt(1 - a) / (a * std**2 + 1 - a)
        gain = (1 - math.sqrt(1 - a) * k) / math.sqrt(a)
        offset = math.sqrt(1 - a) * k * mean
        c0, ct = float(sv["posterior_mean_coef1"][t]), float(sv["posterior_mean_coef2"][t])
        A, b = c0 * gain + ct, c0 * offset
        noise = float(step_var[t]) if t > 0 else t0_noise
        E, V = A * E + b, A**2 * V + noise
    return E, V


def ddim_law(mean, std, ab: torch.Tensor, timesteps: list[int]):
    """Exact (mean, variance) of deterministic DDIM (η = 0) on the Gaussian oracle,
    visiting `timesteps` from the last to the first and ending at ᾱ₋₁ = 1."""
    E = torch.zeros_like(mean, dtype=torch.float64)
    V = torch.ones_like(mean, dtype=torch.float64)
    for i in range(len(timesteps) - 1, -1, -1):
        a = float(ab[timesteps[i]])
        a_prev = float(ab[timesteps[i - 1]]) if i > 0 else 1.0
        k = math.sqrt(1 - a) / (a * std**2 + 1 - a)
        x0_gain = (1 - math.sqrt(1 - a) * k) / math.sqrt(a)
        x0_off = k * math.sqrt(1 - a) * mean
        A = math.sqrt(a_prev) * x0_gain + math.sqrt(1 - a_prev) * k
        b = math.sqrt(a_prev) * x0_off - math.sqrt(1 - a_prev) * k * math.sqrt(a) * mean
        E, V = A * E + b, A**2 * V
    return E, V


def gaussian_band(samples: torch.Tensor, mean, var, n_sigma: float = 5.0) -> dict:
    """How many standard errors the sample mean and variance (per dimension, over dim 0)
    lie from a Gaussian law N(mean, var); both must be ≤ n_sigma. The mean's standard
    error uses the larger of the two variances, so a wrong spread does not fail the mean."""
    x = samples.double().reshape(samples.shape[0], -1)
    n = x.shape[0]
    mean = torch.as_tensor(mean, dtype=torch.float64).reshape(-1)
    var = torch.as_tensor(var, dtype=torch.float64).reshape(-1)
    spread = torch.maximum(x.var(0), var)
    z_mean = ((x.mean(0) - mean).abs() / (spread / n).sqrt()).max().item()
    z_var = ((x.var(0) - var).abs() / (var * math.sqrt(2 / (n - 1)))).max().item()
    return {"mean": z_mean, "var": z_var, "ok": max(z_mean, z_var) <= n_sigma}


def matches_law(samples, law: tuple, n_sigma: float = 5.0) -> bool:
    return gaussian_band(samples, *law, n_sigma=n_sigma)["ok"]


CLOSED_FORMS = SimpleNamespace(
    SCHEDULE_FIELDS=SCHEDULE_FIELDS,
    increasing_betas=increasing_betas,
    cosine_betas=cosine_betas,
    bayes_posterior=bayes_posterior,
    schedule_values=schedule_values,
    per_example=per_example,
    gaussian_eps=gaussian_eps,
    ancestral_law=ancestral_law,
    ddim_law=ddim_law,
    gaussian_band=gaussian_band,
    matches_law=matches_law,
)


@pytest.fixture(scope="session")
def cf() -> SimpleNamespace:
    """The trusted closed forms above."""
    return CLOSED_FORMS


@pytest.fixture
def make_schedule(sub):
    """`make_schedule(betas)` → (trusted values, sandbox schedule carrying those values)."""

    def make(betas: torch.Tensor):
        values = schedule_values(betas)
        return values, sub.helpers.schedule(values)

    return make


@pytest.fixture
def oracle(sub):
    """`oracle(mean, std, values, record=False)` → the exact ε-predictor in the sandbox."""

    def make(mean, std, values: dict, record: bool = False):
        return sub.helpers.gaussian_oracle(mean, std, values["alphas_cumprod"], record)

    return make
