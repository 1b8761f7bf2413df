"""Task 8 (extra credit): deterministic DDIM sampling (η = 0) on a sub-sequence of timesteps."""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = [pytest.mark.task("test_ddim"), pytest.mark.extra_credit]
MEAN = torch.tensor([0.7, -1.2], dtype=torch.float64)
STD = torch.tensor([0.3, 1.5], dtype=torch.float64)


def _timesteps(T: int, n: int) -> list[int]:
    """The notebook's ddim_timesteps: n evenly spaced steps from 0 to T−1, rounded."""
    return torch.linspace(0, T - 1, n).round().long().tolist()


def _ddim_step(cf, sv, x, t: int, t_prev: int):
    ab = sv["alphas_cumprod"]
    tt = torch.full((x.shape[0],), t, dtype=torch.long)
    eps = cf.gaussian_eps(x, tt, MEAN, STD, ab)
    a = float(ab[t])
    a_prev = float(ab[t_prev]) if t_prev >= 0 else 1.0
    x0 = (x - math.sqrt(1 - a) * eps) / math.sqrt(a)
    return math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * eps, x0


def test_ddim_step(sub, cf, make_schedule, oracle, seed):
    """Is ddim_step √ᾱ_prev x̂₀ + √(1 − ᾱ_prev) ε̂, ending at x̂₀ when t_prev = −1?"""
    sv, sched = make_schedule(cf.cosine_betas(30))
    model = oracle(MEAN, STD, sv)
    x = torch.randn(6, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    for t, t_prev in ((29, 17), (8, 3), (4, -1)):
        expected, x0 = _ddim_step(cf, sv, x, t, t_prev)
        wrong_prev = _ddim_step(cf, sv, x, t, t_prev - 1 if t_prev >= 0 else t_prev)[0]
        expect.close(
            sub.ddim_step(model, x, t, t_prev, sched),
            expected,
            f"ddim_step(x, t={t}, t_prev={t_prev}) is wrong",
            diagnoses={
                "ddim_step jumps to x̂₀ instead of re-noising it to t_prev": x0,
                "ddim_step uses ᾱ at t_prev − 1 instead of t_prev": wrong_prev
                if t_prev >= 0
                else None,
            },
        )


def test_ddim_sample_deterministic(sub, cf, make_schedule, oracle, seed):
    """Is ddim_sample deterministic given its start, visiting ddim_timesteps in reverse?"""
    T, n = 31, 7
    sv, sched = make_schedule(cf.cosine_betas(T))
    model = oracle(MEAN, STD, sv, record=True)
    first, again = (
        expect.tensor(
            sub.ddim_sample(model, (9, 2), sched, n, generator=sub.new_generator(seed)),
            "ddim_sample must return a tensor",
        )
        for _ in range(2)
    )
    expect.shape(first, (9, 2), "ddim_sample must return samples of the requested shape")
    expect.true(
        torch.equal(first, again),
        "ddim_sample is not deterministic: with η = 0 only the starting noise is random "
        "(draw it from `generator`)",
    )
    seen = [int(torch.as_tensor(t).reshape(-1)[0]) for t in sub.get(model.timesteps)]
    expected = list(reversed(_timesteps(T, n)))
    expect.true(
        seen == expected + expected,
        f"ddim_sample must call the network {n} times, at ddim_timesteps(T, num_steps) from "
        "the last to the first",
    )
    out = expect.tensor(
        sub.ddim_sample(
            oracle(MEAN, STD, sv), (4000, 2), sched, n, generator=sub.new_generator(seed)
        ),
        "ddim_sample must return a tensor",
    )
    expect.shape(out, (4000, 2), "ddim_sample must return samples of the requested shape")
    expect.true(
        (out.double().mean(0) - MEAN).norm() < 0.5 * MEAN.norm(),
        "this point is for a working sampler: driven by the exact ε-predictor of Gaussian "
        "data, ddim_sample's samples do not move towards the data",
    )


@pytest.mark.points(2)
def test_ddim_sample_law(sub, cf, make_schedule, oracle, seed):
    """With the exact ε-predictor of Gaussian data, do DDIM samples have the closed-form law?"""
    T, n = 100, 10
    sv, sched = make_schedule(cf.cosine_betas(T))
    model = oracle(MEAN, STD, sv)
    out = expect.tensor(
        sub.ddim_sample(model, (20000, 2), sched, n, generator=sub.new_generator(seed)),
        "ddim_sample must return a tensor",
    )
    expect.shape(out, (20000, 2), "ddim_sample must return samples of the requested shape")
    law = cf.ddim_law(MEAN, STD, sv["alphas_cumprod"], _timesteps(T, n))
    band = cf.gaussian_band(out, *law)
    expect.true(
        band["ok"],
        "driven by the exact ε-predictor of Gaussian data, ddim_sample's samples do not have "
        "the mean and spread that deterministic DDIM (η = 0) produces",
    )
