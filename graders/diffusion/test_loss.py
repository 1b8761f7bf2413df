"""Task 5: the ε-prediction loss."""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_ddpm_loss")
T = 6
D = 3


def _model_params(seed: int):
    g = torch.Generator().manual_seed(seed)
    weight = 0.5 * torch.randn(D, D, generator=g, dtype=torch.float64)
    bias = 0.3 * torch.randn(T, D, generator=g, dtype=torch.float64)
    return weight, bias


def _batch(seed: int, n: int = 8):
    g = torch.Generator().manual_seed(seed + 1)
    x0 = torch.randn(n, D, generator=g, dtype=torch.float64)
    noise = torch.randn(n, D, generator=g, dtype=torch.float64)
    t = torch.randint(0, T, (n,), generator=g)
    return x0, t, noise


def _scalar(value, what: str) -> torch.Tensor:
    loss = expect.tensor(value, f"{what} must return a tensor")
    expect.true(
        loss.numel() == 1, f"{what} must return a single number (got shape {tuple(loss.shape)})"
    )
    return loss.reshape(())


def _losses(sv, weight, bias, x0, t, noise, xt=None):
    """The expected loss, and what typical bugs would return instead (for the network's
    input `xt`, by default the right one)."""
    if xt is None:
        ab = sv["alphas_cumprod"][t][:, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    pred = xt @ weight + bias[t]
    sq = (pred - noise) ** 2
    return sq.mean(), {
        "the network's output is compared with x₀; it must predict the noise ε": (
            (pred - x0) ** 2
        ).mean(),
        "the network's output is compared with x_t; it must predict the noise ε": (
            (pred - xt) ** 2
        ).mean(),
        "the network is given x₀; it must see the noisy x_t": (
            (x0 @ weight + bias[t] - noise) ** 2
        ).mean(),
        "the squared errors are summed; take the mean over all elements": sq.sum(),
        "the mean is over the batch only; take it over all elements": sq.sum() / x0.shape[0],
        "the loss is the absolute error; it must be the squared error": (pred - noise).abs().mean(),
        "the loss is the root of the mean squared error; drop the square root": sq.mean().sqrt(),
    }


@pytest.mark.visible
@pytest.mark.points(2)
def test_fixed_t_and_noise(sub, cf, make_schedule, seed):
    """With t and ε given, is the loss the mean of ‖ε − ε_θ(x_t, t)‖² over all elements?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    weight, bias = _model_params(seed)
    model = sub.helpers.linear_eps(weight, bias)
    x0, t, noise = _batch(seed)
    loss = _scalar(sub.ddpm_loss(model, x0, sched, t=t, noise=noise), "ddpm_loss")
    expected, bugs = _losses(sv, weight, bias, x0, t, noise)
    expect.close(loss, expected, "ddpm_loss is wrong for a fixed t and ε", diagnoses=bugs)


def test_gradients(sub, cf, make_schedule, seed):
    """Does the loss send the right gradients to the network's parameters?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    weight, bias = _model_params(seed)
    model = sub.helpers.linear_eps(weight, bias)
    x0, t, noise = _batch(seed)
    report = sub.helpers.loss_and_grads(sub.ddpm_loss, model, x0, sched, t, noise)
    expect.true(
        report["differentiable"],
        "the loss carries no gradient: do not use .item(), .detach() or torch.no_grad() inside "
        "ddpm_loss",
    )
    w = weight.clone().requires_grad_(True)
    b = bias.clone().requires_grad_(True)
    ab = sv["alphas_cumprod"][t][:, None]
    xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
    ((xt @ w + b[t] - noise) ** 2).mean().backward()
    for name, expected in (("weight", w.grad), ("bias", b.grad)):
        got = report["grads"].get(name)
        expect.true(got is not None, "the loss does not depend on the network's parameters")
        expect.close(got, expected, "the gradient of the loss with respect to the network is wrong")


def test_random_timesteps(sub, cf, make_schedule, seed):
    """With t=None, is t drawn uniformly from {0, …, T−1} as a (B,) integer tensor?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    weight, bias = _model_params(seed)
    model = sub.helpers.linear_eps(weight, bias, True)
    n = 600
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(n, D, generator=g, dtype=torch.float64)
    noise = torch.randn(n, D, generator=g, dtype=torch.float64)
    sub.ddpm_loss(model, x0, sched, noise=noise, generator=sub.new_generator(seed))
    seen = sub.get(model.timesteps)
    expect.true(len(seen) >= 1, "ddpm_loss never calls the network")
    t = expect.tensor(seen[-1], "the network must be called with t as a tensor")
    expect.shape(t, (n,), "the network must receive one timestep per example")
    expect.true(
        not t.is_floating_point() and not t.is_complex(),
        "the sampled timesteps must be integers (torch.randint gives a LongTensor)",
    )
    expect.true(
        int(t.min()) >= 0 and int(t.max()) <= T - 1,
        "the sampled timesteps leave the range 0, …, T−1",
    )
    counts = torch.bincount(t.long(), minlength=T).double()
    expect.true(counts[0] > 0, "t = 0 is never drawn: draw t from 0, …, T−1 (randint(0, T))")
    expect.true(counts[T - 1] > 0, "t = T−1 is never drawn: draw t from 0, …, T−1 (randint(0, T))")
    p = 1 / T
    z = (counts - n * p).abs() / math.sqrt(n * p * (1 - p))
    expect.true(z.max() <= 5, "the timesteps are not drawn uniformly from 0, …, T−1")
    xt = sub.get(model.inputs)[-1]
    ab = sv["alphas_cumprod"][t.long()][:, None]
    expect.close(
        xt,
        ab.sqrt() * x0 + (1 - ab).sqrt() * noise,
        "with t drawn inside ddpm_loss, the network must see q_sample(x0, t, noise, sched) "
        "for those same t",
    )


def test_random_noise(sub, cf, make_schedule, seed):
    """With noise=None, is the noise standard normal (mean 0, variance 1, 5σ band)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    weight, bias = _model_params(seed)
    model = sub.helpers.linear_eps(weight, bias, True)
    n = 800
    x0 = torch.randn(n, D, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    t = torch.full((n,), 3, dtype=torch.long)
    sub.ddpm_loss(model, x0, sched, t=t, generator=sub.new_generator(seed))
    inputs = sub.get(model.inputs)
    expect.true(len(inputs) >= 1, "ddpm_loss never calls the network")
    xt = expect.tensor(inputs[-1], "the network must be called with a tensor").double()
    expect.shape(xt, (n, D), "the network must see x_t with the shape of x0")
    ab = float(sv["alphas_cumprod"][3])
    eps = (xt - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    band = cf.gaussian_band(eps.reshape(-1, 1), 0.0, 1.0)
    expect.true(
        band["ok"],
        "the noise drawn inside ddpm_loss is not standard normal (use torch.randn, not torch.rand)",
    )


def test_uses_generator(sub, cf, make_schedule, seed):
    """Are t and the noise drawn from `generator` (same seed → same loss)?"""
    _, sched = make_schedule(cf.increasing_betas(T, seed))
    model = sub.helpers.linear_eps(*_model_params(seed))
    x0, _, _ = _batch(seed, 64)
    first, again, other = (
        _scalar(sub.ddpm_loss(model, x0, sched, generator=sub.new_generator(s)), "ddpm_loss")
        for s in (seed, seed, seed + 1)
    )
    expect.true(
        torch.equal(first, again),
        "two calls with identically seeded generators give different losses: draw both t and "
        "the noise with generator=generator",
    )
    expect.true(not torch.equal(first, other), "the loss does not depend on the random draws")
    require_eps_loss(sub, cf, make_schedule, seed)


def require_eps_loss(sub, cf, make_schedule, seed) -> None:
    """The generator test pays for a working loss only: with t and ε given, the loss must
    be the squared error between the network's output and ε (or a typical misreading of
    it), for whatever input the network was given (random numbers drawn from the
    generator are reproducible too)."""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    weight, bias = _model_params(seed)
    model = sub.helpers.linear_eps(weight, bias, True)
    x0, t, noise = _batch(seed)
    loss = _scalar(sub.ddpm_loss(model, x0, sched, t=t, noise=noise), "ddpm_loss")
    inputs = sub.get(model.inputs)
    expect.true(
        isinstance(inputs, list) and len(inputs) >= 1,
        "this point is for a working loss: ddpm_loss never calls the network",
    )
    xt = expect.tensor(inputs[-1], "the network must be called with a tensor")
    expect.shape(xt, tuple(x0.shape), "the network must see x_t with the shape of x0")
    expected, bugs = _losses(sv, weight, bias, x0, t, noise, xt=xt.double())
    expect.true(
        any(expect.is_close(loss, c) for c in (expected, *bugs.values())),
        "this point is for a working loss: with t and ε given, ddpm_loss is not the mean "
        "squared error between the network's output and ε",
    )
