"""Task 6: ancestral sampling, driven by the exact ε-predictor of Gaussian data.

For data N(μ, diag(σ²)) the marginal of x_t is Gaussian and E[ε | x_t] is affine in x_t,
so every sampling step is affine plus independent noise: the law of the samples is known
exactly (conftest.ancestral_law) and no training is needed.
"""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_sampling")
MEAN = torch.tensor([1.5, -0.8], dtype=torch.float64)
STD = torch.tensor([0.5, 2.0], dtype=torch.float64)


def _x0_hat(cf, sv, x, t: int):
    tt = torch.full((x.shape[0],), t, dtype=torch.long)
    ab = float(sv["alphas_cumprod"][t])
    eps = cf.gaussian_eps(x, tt, MEAN, STD, sv["alphas_cumprod"])
    return (x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)


def _step_mean(cf, sv, x, t: int, clip: bool = False):
    x0 = _x0_hat(cf, sv, x, t)
    if clip:
        x0 = x0.clamp(-1, 1)
    return float(sv["posterior_mean_coef1"][t]) * x0 + float(sv["posterior_mean_coef2"][t]) * x


def _repeat_step(sub, model, sched, x_one, t: int, n: int, seed: int):
    xt = x_one.expand(n, -1).clone()
    out = sub.p_sample_step(model, xt, t, sched, generator=sub.new_generator(seed))
    out = expect.tensor(out, "p_sample_step must return a tensor")
    expect.shape(out, (n, x_one.shape[-1]), "p_sample_step must keep the shape of x_t")
    return out.double()


@pytest.mark.visible
def test_step_noise_free_at_zero(sub, cf, make_schedule, oracle, seed):
    """Is the last step (t = 0) noise-free, returning the posterior mean (= x̂₀)?"""
    sv, sched = make_schedule(cf.increasing_betas(8, seed))
    model = oracle(MEAN, STD, sv)
    xt = torch.randn(5, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    first = sub.p_sample_step(model, xt, 0, sched, generator=sub.new_generator(1))
    second = sub.p_sample_step(model, xt, 0, sched, generator=sub.new_generator(2))
    first = expect.tensor(first, "p_sample_step must return a tensor")
    expect.shape(first, (5, 2), "p_sample_step must keep the shape of x_t")
    expect.true(
        torch.equal(first, expect.tensor(second, "p_sample_step must return a tensor")),
        "noise is added at t = 0: the last step must return the posterior mean without noise",
    )
    expect.close(
        first,
        _step_mean(cf, sv, xt, 0),
        "at t = 0 the step must return the posterior mean, which equals the predicted x̂₀",
        diagnoses={
            "x̂₀ is clipped to [−1, 1]; this notebook's data are not bounded, do not clip": (
                _step_mean(cf, sv, xt, 0, clip=True)
            ),
            "the step at t = 0 returns x_t unchanged": xt,
        },
    )


def test_step_mean(sub, cf, make_schedule, oracle, seed):
    """Is the average of many steps from one x_t the posterior mean at x̂₀(x_t) (5σ band)?"""
    sv, sched = make_schedule(cf.increasing_betas(8, seed))
    model = oracle(MEAN, STD, sv)
    x_one = torch.tensor([[2.0, -1.5]], dtype=torch.float64)
    for t in (1, 5):
        out = _repeat_step(sub, model, sched, x_one, t, 20000, seed + t)
        var = torch.full((2,), float(sv["posterior_variance"][t]), dtype=torch.float64)
        mean = _step_mean(cf, sv, x_one, t)[0]
        band = cf.gaussian_band(out, mean, var)
        if band["mean"] <= 5:
            continue
        clipped = _step_mean(cf, sv, x_one, t, clip=True)[0]
        if cf.gaussian_band(out, clipped, var)["mean"] <= 5:
            expect.fail(
                f"at t = {t} the step's mean uses a clipped x̂₀: this notebook's data are not "
                "bounded, do not clip to [−1, 1]"
            )
        expect.fail(
            f"at t = {t} the average of p_sample_step is not the posterior mean "
            "μ̃_t(x̂₀, x_t) = coef1·x̂₀ + coef2·x_t with x̂₀ = predict_x0_from_eps(x_t, t, ε_θ)"
        )


def test_step_variance(sub, cf, make_schedule, oracle, seed):
    """Is the spread of many steps from one x_t the posterior variance β̃_t (5σ band)?"""
    sv, sched = make_schedule(cf.increasing_betas(8, seed))
    model = oracle(MEAN, STD, sv)
    x_one = torch.tensor([[2.0, -1.5]], dtype=torch.float64)
    for t in (1, 5):
        out = _repeat_step(sub, model, sched, x_one, t, 20000, seed + t)
        mean = _step_mean(cf, sv, x_one, t)[0]

        def band(v, out=out, mean=mean):
            return cf.gaussian_band(out, mean, torch.full((2,), float(v), dtype=torch.float64))

        if band(sv["posterior_variance"][t])["var"] <= 5:
            continue
        if out.var(0).max() < 1e-12:
            expect.fail(f"no noise is added at t = {t}: add √β̃_t·z with z ~ N(0, I) for t > 0")
        bugs = {
            "the noise variance is β_t; use the posterior variance β̃_t": sv["betas"][t],
            "the noise is multiplied by the variance β̃_t instead of its square root": sv[
                "posterior_variance"
            ][t]
            ** 2,
        }
        for message, v in bugs.items():
            if band(v)["var"] <= 5:
                expect.fail(f"at t = {t}: {message}")
        expect.fail(f"at t = {t} the variance of p_sample_step is not β̃_t")


def require_sampler(sub, cf, make_schedule, oracle, seed) -> None:
    """The loop's bookkeeping tests pay for a working sampler only: driven by the exact
    ε-predictor, its samples must move from N(0, I) most of the way to the data's mean
    (a loop that calls the network and returns its starting noise has the bookkeeping)."""
    _, out = _gaussian_samples(sub, cf, make_schedule, oracle, seed)
    expect.true(
        (out.mean(0) - MEAN).norm() < 0.5 * MEAN.norm(),
        "this point is for a working sampler: driven by the exact ε-predictor of Gaussian "
        "data, p_sample_loop's samples do not move towards the data",
    )


def test_loop_visits_timesteps(sub, cf, make_schedule, oracle, seed):
    """Does p_sample_loop call the network once per t, from T−1 down to 0, with (B,) t's?"""
    T = 6
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    model = oracle(MEAN, STD, sv, record=True)
    out = sub.p_sample_loop(model, (7, 2), sched, generator=sub.new_generator(seed))
    expect.shape(out, (7, 2), "p_sample_loop must return samples of the requested shape")
    seen = sub.get(model.timesteps)
    visited = []
    for t in seen:
        t = expect.tensor(t, "the network must be called with t as a tensor")
        expect.shape(t, (7,), "the network must be called with one timestep per sample, shape (B,)")
        expect.true(
            not t.is_floating_point() and bool((t == t[0]).all()),
            "within one step, every sample must get the same integer timestep",
        )
        visited.append(int(t[0]))
    expected = list(range(T - 1, -1, -1))
    if sorted(visited) == sorted(expected) and visited != expected:
        expect.fail("the loop must run backwards in time: t = T−1, T−2, …, 0")
    expect.true(
        visited == expected,
        f"p_sample_loop must evaluate the network at t = T−1, …, 0, once each (T = {T}); "
        f"it made {len(visited)} calls",
    )
    require_sampler(sub, cf, make_schedule, oracle, seed)


def _gaussian_samples(sub, cf, make_schedule, oracle, seed):
    sv, sched = make_schedule(cf.cosine_betas(50))
    model = oracle(MEAN, STD, sv)
    n = 5000
    out = sub.p_sample_loop(model, (n, 2), sched, generator=sub.new_generator(seed))
    out = expect.tensor(out, "p_sample_loop must return a tensor")
    expect.shape(out, (n, 2), "p_sample_loop must return samples of the requested shape")
    expect.true(torch.isfinite(out).all(), "p_sample_loop's samples contain NaN or inf")
    return sv, out.double()


def _sampler_bugs(cf, sv) -> dict:
    T = len(sv["betas"])
    law = lambda **kw: cf.ancestral_law(MEAN, STD, sv, **kw)  # noqa: E731
    return {
        "the noise variance is β_t; use the posterior variance β̃_t": law(step_var=sv["betas"]),
        "the noise is multiplied by the variance β̃_t instead of its square root": law(
            step_var=sv["posterior_variance"] ** 2
        ),
        "no noise is added between the steps": law(step_var=torch.zeros(T)),
        "the loop runs forward in time; it must go from t = T−1 down to 0": law(order=range(T)),
    }


def test_loop_mean(sub, cf, make_schedule, oracle, seed):
    """With the exact ε-predictor for N(μ, σ²) data, do the samples' means match (5σ)?"""
    sv, out = _gaussian_samples(sub, cf, make_schedule, oracle, seed)
    law = cf.ancestral_law(MEAN, STD, sv)
    if cf.gaussian_band(out, *law)["mean"] <= 5:
        return
    for message, bug in _sampler_bugs(cf, sv).items():
        if cf.matches_law(out, bug):
            expect.fail(f"the samples' mean is off: {message}")
    expect.fail(
        "driven by the exact ε-predictor of Gaussian data, p_sample_loop's samples do not "
        "recover the data's mean"
    )


@pytest.mark.points(2)
def test_loop_std(sub, cf, make_schedule, oracle, seed):
    """With the exact ε-predictor for N(μ, σ²) data, do the samples' spreads match (5σ)?"""
    sv, out = _gaussian_samples(sub, cf, make_schedule, oracle, seed)
    law = cf.ancestral_law(MEAN, STD, sv)
    band = cf.gaussian_band(out, *law)
    if band["var"] <= 5:
        return
    for message, bug in _sampler_bugs(cf, sv).items():
        if cf.matches_law(out, bug):
            expect.fail(f"the samples' spread is off: {message}")
    ratio = (out.std(0) / law[1].sqrt()).tolist()
    expect.fail(
        "driven by the exact ε-predictor of Gaussian data, p_sample_loop's samples do not "
        f"recover the data's standard deviation (they are {ratio[0]:.2f}× and {ratio[1]:.2f}× "
        "what they should be)"
    )


def test_loop_uses_generator(sub, cf, make_schedule, oracle, seed):
    """Does p_sample_loop draw all its noise from `generator` (same seed → same samples)?"""
    sv, sched = make_schedule(cf.increasing_betas(6, seed))
    model = oracle(MEAN, STD, sv)
    first, again, other = (
        expect.tensor(
            sub.p_sample_loop(model, (5, 2), sched, generator=sub.new_generator(s)),
            "p_sample_loop must return a tensor",
        )
        for s in (seed, seed, seed + 1)
    )
    expect.true(
        torch.equal(first, again),
        "two calls with identically seeded generators give different samples: draw the "
        "starting noise and every step's noise with generator=generator",
    )
    expect.true(not torch.equal(first, other), "p_sample_loop's samples are not random")
    require_sampler(sub, cf, make_schedule, oracle, seed)
