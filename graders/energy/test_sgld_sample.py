"""Task 3: Langevin chains."""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_sgld_sample")

MEAN = torch.tensor([0.7, -1.2], dtype=torch.float64)
SIGMA = torch.tensor([[1.0, 0.6], [0.6, 0.8]], dtype=torch.float64)
CHAINS, STEPS, EPS = 6000, 250, 0.1


def _quadratic(sub, precision, mean=MEAN):
    def energy(x):
        d = x - mean
        return 0.5 * torch.einsum("ni,ij,nj->n", d, precision, d)

    return sub.helpers.quadratic_energy(precision, mean), energy


def _chain(x0, energy, steps, step, sigma, noise, drift_factor=0.5):
    x = x0.clone()
    for t in range(steps):
        xr = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(energy(xr).sum(), xr)
        x = x - drift_factor * step * grad + sigma * noise[t]
    return x


def _x0(seed, n=5):
    return 2.0 * torch.randn(n, 2, generator=torch.Generator().manual_seed(seed + 1)).double()


def require_downhill(sub, oracle, seed):
    """The property tests judge chains that work: 5 steps with almost no noise from 200
    points must take at least a quarter of the energy drop of correct chains."""
    handle, energy = _quadratic(sub, oracle.spd_matrix(seed))
    x0 = _x0(seed, 200)
    out = sub.sgld_sample(handle, x0, 5, 0.1, noise_std=1e-12, generator=sub.new_generator(seed))
    out = expect.tensor(out, "sgld_sample should return a tensor")
    expect.shape(out, tuple(x0.shape), "sgld_sample should return a tensor shaped like x0")
    correct = _chain(x0, energy, 5, 0.1, 0.0, torch.zeros(5, *x0.shape, dtype=x0.dtype))
    drop = (energy(x0) - energy(out.double())).mean()
    expected = (energy(x0) - energy(correct)).mean()
    expect.true(
        bool(drop >= 0.25 * expected),
        "sgld_sample's chains do not move downhill on the energy (with noise_std close to 0 "
        "the energy barely drops): this property is only checked on working chains",
    )


def _matches_chain(out, x0, energy, steps, step, sigma, noises):
    return any(
        expect.is_close(out, _chain(x0, energy, steps, step, sigma, n), rtol=1e-6, atol=1e-6)
        for n in noises
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_sample_matches_steps(sub, oracle, seed):
    """Is sgld_sample n_steps Langevin steps from x0, drawing the noise from the generator?"""
    precision = oracle.spd_matrix(seed)
    handle, energy = _quadratic(sub, precision)
    x0, steps, step = _x0(seed), 4, 0.2
    out = sub.sgld_sample(handle, x0, steps, step, generator=sub.new_generator(seed))
    expect.shape(out, (5, 2), "sgld_sample should return a tensor shaped like x0")
    noises = oracle.noise_sequences(x0.shape, seed, x0.dtype, steps + 1)
    if _matches_chain(out, x0, energy, steps, step, math.sqrt(step), noises):
        return
    noise = noises[0]
    expect.close(
        out,
        _chain(x0, energy, steps, step, math.sqrt(step), noise),
        "sgld_sample is wrong: it should apply sgld_step n_steps times with the same "
        "step_size, noise_std and generator",
        diagnoses={
            "it runs n_steps - 1 steps": _chain(
                x0, energy, steps - 1, step, math.sqrt(step), noise
            ),
            "it runs n_steps + 1 steps": _chain(
                x0, energy, steps + 1, step, math.sqrt(step), noise
            ),
            "every step restarts from x0 instead of continuing the chain": _chain(
                x0, energy, 1, step, math.sqrt(step), noise[steps - 1 :]
            ),
            "the step goes uphill: it must SUBTRACT step_size/2 * grad E(x)": _chain(
                x0, energy, steps, step, math.sqrt(step), noise, drift_factor=-0.5
            ),
            "the gradient term is missing the factor 1/2": _chain(
                x0, energy, steps, step, math.sqrt(step), noise, drift_factor=1.0
            ),
        },
    )


@pytest.mark.points(1)
def test_sample_passes_noise_std(sub, oracle, seed):
    """Does sgld_sample pass noise_std on to every step?"""
    precision = oracle.spd_matrix(seed)
    handle, energy = _quadratic(sub, precision)
    x0, steps, step, sigma = _x0(seed, 6), 3, 0.3, 0.05
    out = sub.sgld_sample(
        handle, x0, steps, step, noise_std=sigma, generator=sub.new_generator(seed)
    )
    expect.tensor(out, "sgld_sample should return a tensor")
    noises = oracle.noise_sequences(x0.shape, seed, x0.dtype, steps)
    if _matches_chain(out, x0, energy, steps, step, sigma, noises):
        return
    noise = noises[0]
    expect.close(
        out,
        _chain(x0, energy, steps, step, sigma, noise),
        "sgld_sample with noise_std is wrong",
        diagnoses={
            "noise_std is not passed on to the steps (they use sqrt(step_size))": _chain(
                x0, energy, steps, step, math.sqrt(step), noise
            )
        },
    )


@pytest.mark.points(1)
def test_sample_uses_generator(sub, oracle, seed):
    """Does sgld_sample draw its noise from the generator argument?"""
    require_downhill(sub, oracle, seed)
    handle, _ = _quadratic(sub, oracle.spd_matrix(seed))
    first, second = sub.helpers.twice_with_generator(
        sub.sgld_sample, [handle, _x0(seed), 3, 0.2], {}, seed
    )
    expect.tensor(first, "sgld_sample should return a tensor")
    expect.true(
        expect.is_close(first, second, rtol=0, atol=0),
        "sgld_sample does not use the `generator` argument: pass it on to every sgld_step",
    )
    other = sub.sgld_sample(handle, _x0(seed), 3, 0.2, generator=sub.new_generator(seed + 1))
    expect.true(
        not expect.is_close(first, expect.tensor(other), rtol=0, atol=0),
        "generators with different seeds gave the same samples: sgld_sample must add "
        "Langevin noise at every step",
    )


@pytest.mark.points(1)
def test_sample_zero_steps(sub, oracle, seed):
    """Does n_steps=0 return x0 unchanged?"""
    handle, _ = _quadratic(sub, torch.eye(2, dtype=torch.float64))
    x0 = _x0(seed)
    out = sub.sgld_sample(handle, x0, 0, 0.1, generator=sub.new_generator(seed))
    expect.close(out, x0, "sgld_sample with n_steps=0 should return x0", rtol=0, atol=0)
    require_downhill(sub, oracle, seed)


@pytest.mark.points(1)
def test_sample_detached_and_keeps_x0(sub, oracle, seed):
    """From an x0 that requires grad (3 steps, and 0): is the result detached, x0 untouched,
    no parameter grads?"""
    require_downhill(sub, oracle, seed)
    x0 = _x0(seed, 6)
    try:
        facts = sub.helpers.sgld_sample_facts(
            sub.sgld_sample, oracle.mlp_weights(seed), x0, 3, 0.2, 0.1, seed
        )
    except StudentError as exc:
        expect.fail(
            f"sgld_sample raised {exc.type} when x0 requires grad: work on x0.detach() "
            "(and take gradients with torch.autograd.grad)"
        )
    expect.true(facts["is_tensor"], "sgld_sample should return a tensor")
    expect.true(
        not facts["requires_grad"] and not facts["has_grad_fn"],
        "sgld_sample returns a tensor that is not detached: the samples must carry no "
        "autograd history",
    )
    expect.true(
        expect.is_close(facts["x0_after"], x0, rtol=0, atol=0),
        "sgld_sample modified x0 in place",
    )
    expect.true(
        all(g is None for g in facts["param_grads"]),
        "sgld_sample filled the .grad of the model's parameters: use torch.autograd.grad "
        "with respect to x, not .backward()",
    )
    try:
        none = sub.helpers.sgld_sample_facts(
            sub.sgld_sample, oracle.mlp_weights(seed), x0, 0, 0.2, 0.1, seed
        )
    except StudentError as exc:
        expect.fail(f"sgld_sample with n_steps=0 raised {exc.type} when x0 requires grad")
    expect.true(
        none["is_tensor"] and not none["requires_grad"] and not none["has_grad_fn"],
        "with n_steps=0 and an x0 that requires grad, sgld_sample returns a tensor that is "
        "not detached: return a detached copy of x0",
    )


def _stationary_cov(precision, step, noise_var, drift_factor=0.5):
    """Exact stationary covariance of x <- x - drift_factor*step*P(x-m) + sqrt(noise_var) xi."""
    d = precision.shape[0]
    m = torch.eye(d, dtype=torch.float64) - drift_factor * step * precision
    lhs = torch.eye(d * d, dtype=torch.float64) - torch.kron(m, m)
    vec = torch.linalg.solve(lhs, noise_var * torch.eye(d, dtype=torch.float64).reshape(-1))
    return vec.reshape(d, d)


def _run_chains(sub, seed):
    precision = torch.linalg.inv(SIGMA)
    handle, _ = _quadratic(sub, precision)
    x0 = torch.tensor([[2.5, -4.0]], dtype=torch.float64).expand(CHAINS, 2).clone()
    out = sub.sgld_sample(handle, x0, STEPS, EPS, generator=sub.new_generator(seed))
    out = expect.tensor(out, "sgld_sample should return a tensor")
    expect.shape(out, (CHAINS, 2), "sgld_sample should return a tensor shaped like x0")
    expect.true(
        bool(torch.isfinite(out).all()) and out.abs().max() < 1e3,
        "the chains diverge: the step must go downhill, x - step_size/2 * grad E(x)",
    )
    return precision, out.double()


@pytest.mark.points(1)
def test_chains_recover_mean(sub, seed):
    """Do 6000 chains on a 2-D Gaussian energy end up centred on its mean?"""
    _, out = _run_chains(sub, seed)
    err = (out.mean(0) - MEAN).abs().max().item()
    expect.true(
        err < 0.08,
        f"the mean of the chains is off by {err:.2f} after {STEPS} steps: the chains do not "
        "move to the low-energy region (check the gradient: per sample, of the summed energy)",
    )


@pytest.mark.points(2)
def test_chains_recover_covariance(sub, seed):
    """Do 6000 chains on a 2-D Gaussian energy reproduce its covariance (the exact one of the discretised chain)?"""
    precision, out = _run_chains(sub, seed)
    cov = torch.cov(out.T)

    def near(target):
        return ((cov - target).norm() / target.norm()).item() < 0.12

    if near(_stationary_cov(precision, EPS, EPS)):
        return
    defects = {
        "the chains are too narrow by about 2x: the drift is missing the factor 1/2": (
            _stationary_cov(precision, EPS, EPS, drift_factor=1.0)
        ),
        "the chains are far too wide: the noise is not scaled by noise_std (default "
        "sqrt(step_size))": _stationary_cov(precision, EPS, 1.0),
        "the chains are far too narrow: the noise is scaled by step_size instead of "
        "sqrt(step_size)": _stationary_cov(precision, EPS, EPS**2),
        "the chains are too wide by about 2x: the noise is sqrt(2 step_size); with this "
        "convention it is sqrt(step_size)": _stationary_cov(precision, EPS, 2 * EPS),
    }
    for defect, target in defects.items():
        if near(target):
            expect.fail(f"the samples have the wrong covariance: {defect}")
    expect.fail(
        "the samples do not have the covariance of the target Gaussian "
        f"(relative error {((cov - SIGMA).norm() / SIGMA.norm()).item():.2f})"
    )
