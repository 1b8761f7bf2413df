"""Task 8: class-conditional SGLD on the class energy E(x, y) = -f(x)[y].

The models live in the sandbox (`sandbox_helpers.mlp`, `sandbox_helpers.class_wells`); the
trusted side knows their logits in closed form and runs its own Langevin chains with the
noise the conventions prescribe, or the exact stationary statistics of the discretised
chain on a Gaussian class energy.
"""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_sample_class")

CLASSES = 3
WELL_MEANS = torch.tensor([[1.5, 0.0], [-1.5, 1.0], [0.0, -1.8]], dtype=torch.float64)
WELL_OFFSETS = torch.tensor([0.3, -0.2, 0.0], dtype=torch.float64)
CHAINS, STEPS, EPS = 4500, 250, 0.1
TOL = {"rtol": 1e-6, "atol": 1e-6}


def _chain(x0, energy, steps, step, sigma, noise):
    """Trusted Langevin chain x <- x - step/2 grad E(x) + sigma * noise[t]."""
    x = x0.clone()
    for t in range(steps):
        xr = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(energy(xr).sum(), xr)
        x = (x - 0.5 * step * grad + sigma * noise[t]).detach()
    return x


def _labels(y, n):
    return torch.as_tensor(y, dtype=torch.long).expand(n)


def _energies(oracle, weights, y, n):
    """The class energy, and what typical misreadings of it are, for the grader's MLP."""
    labels = _labels(y, n)

    def logits(x):
        return oracle.mlp_forward(weights, x)

    def picked(x):
        return logits(x).gather(1, labels[:, None]).squeeze(1)

    return lambda x: -picked(x), {
        "the energy is the unconditional E(x) = -logsumexp f(x); sample_class uses the class "
        "energy E(x, y) = -f(x)[y]": lambda x: -torch.logsumexp(logits(x), dim=1),
        "the energy is -log softmax(f(x))_y = -log p(y | x); the class energy is "
        "E(x, y) = -f(x)[y]": lambda x: (
            -torch.log_softmax(logits(x), dim=1).gather(1, labels[:, None]).squeeze(1)
        ),
        "the energy has the wrong sign: E(x, y) = -f(x)[y], so the chains go up the logit "
        "f(x)[y]": lambda x: picked(x),
    }


def _x0(seed, n=5):
    g = torch.Generator().manual_seed(seed + 3)
    return 1.5 * torch.randn(n, 2, generator=g, dtype=torch.float64)


def _mixed(seed, n):
    g = torch.Generator().manual_seed(seed + 5)
    return torch.randint(0, CLASSES, (n,), generator=g)


def _check_chain(out, x0, oracle, weights, y, steps, step, sigma, seed, message, extra=None):
    """Pass if `out` is the trusted chain with any accepted noise draw; else name the defect."""
    out = expect.tensor(out, "sample_class should return a tensor")
    expect.shape(out, tuple(x0.shape), "sample_class should return a tensor shaped like x0")
    energy, wrong = _energies(oracle, weights, y, len(x0))
    noises = oracle.noise_sequences(x0.shape, seed, x0.dtype, steps)
    if any(expect.is_close(out, _chain(x0, energy, steps, step, sigma, n), **TOL) for n in noises):
        return
    noise = noises[0]
    diagnoses = {k: _chain(x0, e, steps, step, sigma, noise) for k, e in wrong.items()}
    diagnoses.update(extra or {})
    expect.close(
        out, _chain(x0, energy, steps, step, sigma, noise), message, **TOL, diagnoses=diagnoses
    )


def require_class_downhill(sub, oracle, seed):
    """The property tests judge a working sampler: 5 steps with almost no noise from 200
    points must take at least a quarter of the drop in class energy of correct chains."""
    weights = oracle.mlp_weights(seed)
    x0, y = _x0(seed, 200), _mixed(seed, 200)
    energy, _ = _energies(oracle, weights, y, 200)
    try:
        out = sub.sample_class(
            sub.helpers.mlp(weights),
            y,
            x0,
            5,
            0.2,
            noise_std=1e-12,
            generator=sub.new_generator(seed),
        )
    except StudentError as exc:
        expect.fail(f"sample_class raised {exc.type}")
    out = expect.tensor(out, "sample_class should return a tensor")
    expect.shape(out, tuple(x0.shape), "sample_class should return a tensor shaped like x0")
    correct = _chain(x0, energy, 5, 0.2, 0.0, torch.zeros(5, *x0.shape, dtype=x0.dtype))
    drop = (energy(x0) - energy(out.double())).mean()
    expected = (energy(x0) - energy(correct)).mean()
    expect.true(
        bool(drop >= 0.25 * expected),
        "sample_class's chains do not move downhill on the class energy E(x, y) = -f(x)[y] "
        "(with noise_std close to 0 the energy barely drops): this property is only checked "
        "on a working sampler",
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_class_matches_chain(sub, oracle, seed):
    """With one label per chain, is sample_class SGLD on E(x, y) = -f(x)[y] of a small MLP,
    drawing the noise from the generator?"""
    weights = oracle.mlp_weights(seed)
    x0, y, steps, step = _x0(seed), _mixed(seed, 5), 4, 0.2
    out = sub.sample_class(
        sub.helpers.mlp(weights), y, x0, steps, step, generator=sub.new_generator(seed)
    )
    _check_chain(
        out,
        x0,
        oracle,
        weights,
        y,
        steps,
        step,
        math.sqrt(step),
        seed,
        "sample_class is wrong: it should run sgld_sample on E(x, y) = class_energy(model(x), y)",
    )


@pytest.mark.points(1)
def test_class_int_label(sub, oracle, seed):
    """With a Python int as the label, is every chain sampled from that class?"""
    weights = oracle.mlp_weights(seed + 1)
    x0, steps, step = _x0(seed + 1, 7), 3, 0.2
    try:
        out = sub.sample_class(
            sub.helpers.mlp(weights), 2, x0, steps, step, generator=sub.new_generator(seed)
        )
    except StudentError as exc:
        expect.fail(f"sample_class raised {exc.type} when y is an int (one class for all chains)")
    _check_chain(
        out,
        x0,
        oracle,
        weights,
        2,
        steps,
        step,
        math.sqrt(step),
        seed,
        "sample_class is wrong when y is an int: every chain samples class y",
    )


@pytest.mark.points(1)
def test_class_passes_noise_std(sub, oracle, seed):
    """Is noise_std passed on to every step?"""
    weights = oracle.mlp_weights(seed + 2)
    x0, y, steps, step, sigma = _x0(seed + 2, 6), _mixed(seed + 2, 6), 3, 0.3, 0.05
    out = sub.sample_class(
        sub.helpers.mlp(weights),
        y,
        x0,
        steps,
        step,
        noise_std=sigma,
        generator=sub.new_generator(seed),
    )
    energy, _ = _energies(oracle, weights, y, len(x0))
    noise = oracle.noise_sequences(x0.shape, seed, x0.dtype, steps)[0]
    _check_chain(
        out,
        x0,
        oracle,
        weights,
        y,
        steps,
        step,
        sigma,
        seed,
        "sample_class with noise_std is wrong",
        extra={
            "noise_std is not passed on (the steps use sqrt(step_size))": _chain(
                x0, energy, steps, step, math.sqrt(step), noise
            )
        },
    )


@pytest.mark.points(1)
def test_class_uses_generator(sub, oracle, seed):
    """Does sample_class draw its noise from the generator argument?"""
    require_class_downhill(sub, oracle, seed)
    weights = oracle.mlp_weights(seed + 3)
    model = sub.helpers.mlp(weights)
    args = [model, _mixed(seed + 3, 5), _x0(seed + 3), 3, 0.2]
    first, second = sub.helpers.twice_with_generator(sub.sample_class, args, {}, seed)
    expect.tensor(first, "sample_class should return a tensor")
    expect.true(
        expect.is_close(first, second, rtol=0, atol=0),
        "sample_class does not use the `generator` argument: pass it on to sgld_sample",
    )


def _stationary_cov(precision, step, noise_var):
    """Exact stationary covariance of x <- x - step/2 P (x - m) + sqrt(noise_var) xi."""
    d = precision.shape[0]
    m = torch.eye(d, dtype=torch.float64) - 0.5 * step * precision
    lhs = torch.eye(d * d, dtype=torch.float64) - torch.kron(m, m)
    vec = torch.linalg.solve(lhs, noise_var * torch.eye(d, dtype=torch.float64).reshape(-1))
    return vec.reshape(d, d)


@pytest.mark.points(2)
def test_class_conditional_statistics(sub, oracle, seed):
    """On three Gaussian class energies, do 1500 chains per class (labels interleaved)
    reproduce each class's mean and covariance (those of the discretised chain)?"""
    precisions = torch.stack([oracle.spd_matrix(seed + k) for k in range(CLASSES)])
    model = sub.helpers.class_wells(WELL_MEANS, precisions, WELL_OFFSETS)
    y = torch.arange(CHAINS) % CLASSES
    x0 = torch.tensor([[2.5, 2.5]], dtype=torch.float64).expand(CHAINS, 2).clone()
    out = sub.sample_class(model, y, x0, STEPS, EPS, generator=sub.new_generator(seed))
    out = expect.tensor(out, "sample_class should return a tensor")
    expect.shape(out, (CHAINS, 2), "sample_class should return a tensor shaped like x0")
    out = out.double()
    expect.true(
        bool(torch.isfinite(out).all()) and out.abs().max() < 1e3,
        "the chains diverge: sample_class must go downhill on E(x, y) = -f(x)[y]",
    )
    for k in range(CLASSES):
        chains = out[y == k]
        err = (chains.mean(0) - WELL_MEANS[k]).abs().max().item()
        expect.true(
            err < 0.15,
            f"the chains of class {k} do not centre on the mean of class {k}'s inputs (off by "
            f"{err:.2f}): each chain must follow the class energy of its own label",
        )
        target = _stationary_cov(precisions[k], EPS, EPS)
        rel = ((torch.cov(chains.T) - target).norm() / target.norm()).item()
        expect.true(
            rel < 0.15,
            f"the chains of class {k} do not have the covariance of class {k}'s inputs "
            f"(relative error {rel:.2f}): check the drift -step_size/2 * grad E(x, y) and the "
            "noise (default sqrt(step_size))",
        )


@pytest.mark.points(1)
def test_class_detached_and_side_effects(sub, oracle, seed):
    """From an x0 that requires grad: is the result detached, x0 untouched, and the model's
    .grad left empty?"""
    require_class_downhill(sub, oracle, seed)
    x0 = _x0(seed + 4, 6)
    try:
        facts = sub.helpers.sample_class_facts(
            sub.sample_class,
            oracle.mlp_weights(seed + 4),
            _mixed(seed + 4, 6),
            x0,
            3,
            0.2,
            0.1,
            seed,
        )
    except StudentError as exc:
        expect.fail(
            f"sample_class raised {exc.type} when x0 requires grad: work on x0.detach() (as "
            "sgld_sample does)"
        )
    expect.true(facts["is_tensor"], "sample_class should return a tensor")
    expect.true(
        not facts["requires_grad"] and not facts["has_grad_fn"],
        "sample_class returns a tensor that is not detached: the samples must carry no "
        "autograd history",
    )
    expect.true(
        expect.is_close(facts["x0_after"], x0, rtol=0, atol=0), "sample_class modified x0 in place"
    )
    expect.true(
        all(g is None for g in facts["param_grads"]),
        "sample_class filled the .grad of the model's parameters: take the gradients with "
        "torch.autograd.grad with respect to x (sgld_sample does), not .backward()",
    )
