"""Task 2: one Langevin step."""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_sgld_step")

NOISE_RULE = (
    "draw the noise once per step as torch.randn(x.shape, generator=generator, "
    "dtype=x.dtype).to(x.device)"
)


def _quadratic(sub, oracle, seed):
    """A quadratic energy: a handle to it in the sandbox, and the same function here."""
    precision = oracle.spd_matrix(seed)
    mean = torch.tensor([0.7, -1.2], dtype=torch.float64)

    def energy(x):
        d = x - mean
        return 0.5 * torch.einsum("ni,ij,nj->n", d, precision, d)

    return sub.helpers.quadratic_energy(precision, mean), energy


def _x(seed, shape=(5, 2)):
    return 2.0 * torch.randn(*shape, generator=torch.Generator().manual_seed(seed + 1)).double()


def require_downhill(sub, oracle, seed):
    """The property tests judge a step that works: on 200 points, one step with almost no
    noise must take at least a quarter of the energy drop of a correct step (a stub that
    only adds noise, or returns x, has the properties but is not a Langevin step)."""
    x = _x(seed, (200, 2))
    handle, energy = _quadratic(sub, oracle, seed)
    out = sub.sgld_step(x, handle, 0.1, noise_std=1e-12, generator=sub.new_generator(seed))
    out = expect.tensor(out, "sgld_step should return a tensor")
    expect.shape(out, tuple(x.shape), "sgld_step should return a tensor shaped like x")
    correct = x - 0.05 * oracle.energy_grad(energy, x)
    drop = (energy(x) - energy(out.double())).mean()
    expected = (energy(x) - energy(correct)).mean()
    expect.true(
        bool(drop >= 0.25 * expected),
        "sgld_step does not move x downhill on the energy (with noise_std close to 0 the "
        "energy barely drops): this property is only checked on a working Langevin step",
    )


def check_step(out, x, grad, step, sigma, noises, message, extra=None):
    """Pass if `out` is the step with any accepted noise draw; else name the defect."""
    drift = x - 0.5 * step * grad
    if any(expect.is_close(out, drift + sigma * xi, rtol=1e-6, atol=1e-6) for xi in noises):
        return
    xi = noises[0]
    n = x.shape[0]
    root = math.sqrt(step)
    defects = {
        "the step goes uphill: it must SUBTRACT step_size/2 * grad E(x)": (
            x + 0.5 * step * grad + sigma * xi
        ),
        "the gradient term is missing the factor 1/2: the drift is step_size/2 * grad E(x)": (
            x - step * grad + sigma * xi
        ),
        "the energies are averaged over the batch: differentiate their SUM, so each sample "
        "gets its own gradient": x - 0.5 * step * grad / n + sigma * xi,
        "the noise is not scaled: multiply it by noise_std (default sqrt(step_size))": drift + xi,
        "the noise is scaled by step_size instead of sqrt(step_size)": drift + step * xi,
        "the noise is missing": drift,
        "the noise is scaled by sqrt(2 * step_size); with this convention it is "
        "sqrt(step_size)": drift + math.sqrt(2.0) * root * xi,
    }
    defects.update(extra or {})
    for defect, wrong in defects.items():
        if expect.is_close(out, wrong, rtol=1e-6, atol=1e-6):
            expect.fail(f"{message}: {defect}")
    expect.close(
        out,
        drift + sigma * xi,
        f"{message}: check the drift -step_size/2 * grad E(x) and the noise ({NOISE_RULE})",
        rtol=1e-6,
        atol=1e-6,
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_step_closed_form(sub, oracle, seed):
    """Does one step on a quadratic energy equal x - ε/2·∇E(x) + √ε·ξ with the generator's noise?"""
    handle, energy = _quadratic(sub, oracle, seed)
    x = _x(seed)
    out = sub.sgld_step(x, handle, 0.2, generator=sub.new_generator(seed))
    expect.shape(out, tuple(x.shape), "sgld_step should return a tensor shaped like x")
    check_step(
        out,
        x,
        oracle.energy_grad(energy, x),
        0.2,
        math.sqrt(0.2),
        oracle.noise_draws(x.shape, seed, x.dtype),
        "sgld_step is wrong",
    )


@pytest.mark.points(1)
def test_step_decoupled_noise(sub, oracle, seed):
    """With noise_std given, is the step x - ε/2·∇E(x) + noise_std·ξ?"""
    handle, energy = _quadratic(sub, oracle, seed)
    x = _x(seed, (7, 2))
    step, sigma = 0.4, 0.05
    out = sub.sgld_step(x, handle, step, noise_std=sigma, generator=sub.new_generator(seed))
    grad = oracle.energy_grad(energy, x)
    xi = oracle.noise_draws(x.shape, seed, x.dtype)[0]
    drift = x - 0.5 * step * grad
    check_step(
        out,
        x,
        grad,
        step,
        sigma,
        oracle.noise_draws(x.shape, seed, x.dtype),
        "sgld_step with noise_std is wrong",
        extra={
            "noise_std is ignored: when it is given, the noise is noise_std * xi": (
                drift + math.sqrt(step) * xi
            ),
            "the noise is noise_std * sqrt(step_size) * xi; it should be noise_std * xi": (
                drift + sigma * math.sqrt(step) * xi
            ),
        },
    )


@pytest.mark.points(1)
def test_step_zero_noise(sub, oracle, seed):
    """Is noise_std=0.0 a plain gradient step x - ε/2·∇E(x) (not the default noise)?"""
    handle, energy = _quadratic(sub, oracle, seed)
    x = _x(seed)
    step = 0.3
    out = sub.sgld_step(x, handle, step, noise_std=0.0, generator=sub.new_generator(seed))
    grad = oracle.energy_grad(energy, x)
    xi = oracle.noise_draws(x.shape, seed, x.dtype)[0]
    drift = x - 0.5 * step * grad
    expect.close(
        out,
        drift,
        "sgld_step with noise_std=0.0 should be a plain gradient step",
        diagnoses={
            "noise_std=0.0 is treated like None: test `noise_std is None`, not "
            "`not noise_std`": drift + math.sqrt(step) * xi,
            "the step goes uphill: it must SUBTRACT step_size/2 * grad E(x)": (
                x + 0.5 * step * grad
            ),
            "the gradient term is missing the factor 1/2": x - step * grad,
        },
    )


@pytest.mark.points(1)
def test_step_uses_generator(sub, oracle, seed):
    """Does the noise come from the generator argument (same seed, same step)?"""
    require_downhill(sub, oracle, seed)
    x = _x(seed)
    energy, _ = _quadratic(sub, oracle, seed)
    first, second = sub.helpers.twice_with_generator(sub.sgld_step, [x, energy, 0.2], {}, seed)
    expect.tensor(first, "sgld_step should return a tensor")
    expect.true(
        expect.is_close(first, second, rtol=0, atol=0),
        "the noise does not come from the `generator` argument: two generators with the "
        f"same seed gave different steps; {NOISE_RULE}",
    )
    other = sub.sgld_step(x, energy, 0.2, generator=sub.new_generator(seed + 1))
    expect.true(
        not expect.is_close(first, expect.tensor(other), rtol=0, atol=0),
        f"generators with different seeds gave the same step: the step must add noise; {NOISE_RULE}",
    )


@pytest.mark.points(1)
def test_step_any_shape(sub, oracle, seed):
    """Does sgld_step work on inputs of any shape (N, *shape), e.g. images?"""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 2, 3, generator=g, dtype=torch.float64)
    scale = 0.5 + torch.rand(2, 3, generator=g, dtype=torch.float64)
    center = torch.randn(2, 3, generator=g, dtype=torch.float64)
    step = 0.1
    out = sub.sgld_step(
        x, sub.helpers.diagonal_energy(scale, center), step, generator=sub.new_generator(seed)
    )
    expect.shape(out, (4, 2, 3), "sgld_step should return a tensor shaped like x")
    check_step(
        out,
        x,
        scale * (x - center),
        step,
        math.sqrt(step),
        oracle.noise_draws(x.shape, seed, x.dtype),
        "sgld_step is wrong for inputs of shape (N, 2, 3)",
    )


def _mlp_case(oracle, seed):
    weights = oracle.mlp_weights(seed)
    x = _x(seed, (6, 2))

    def energy(z):
        return -torch.logsumexp(oracle.mlp_forward(weights, z), -1)

    return weights, x, oracle.energy_grad(energy, x)


def _step_facts(sub, oracle, seed, no_grad, preset=None):
    weights, x, grad = _mlp_case(oracle, seed)
    preset = preset or [None] * 4
    try:
        facts = sub.helpers.sgld_step_facts(
            sub.sgld_step, weights, preset, x, 0.5, 0.1, seed, no_grad
        )
    except StudentError as exc:
        where = " inside torch.no_grad()" if no_grad else ""
        hint = (
            ": compute the gradient under torch.enable_grad() on a detached copy of x "
            "that requires grad"
            if no_grad
            else ""
        )
        expect.fail(f"sgld_step raised {exc.type}{where}{hint}")
    expect.true(facts["is_tensor"], "sgld_step should return a tensor")
    return facts, x, grad


@pytest.mark.points(1)
def test_step_under_no_grad(sub, oracle, seed):
    """Called inside torch.no_grad() with a neural-network energy, is the step still right?"""
    facts, x, grad = _step_facts(sub, oracle, seed, no_grad=True)
    check_step(
        facts["out"],
        x,
        grad,
        0.5,
        0.1,
        oracle.noise_draws(x.shape, seed, x.dtype),
        "sgld_step inside torch.no_grad() is wrong",
    )


@pytest.mark.points(1)
def test_step_returns_detached(sub, oracle, seed):
    """Is the returned tensor detached (no autograd history, requires_grad False)?"""
    require_downhill(sub, oracle, seed)
    facts, _, _ = _step_facts(sub, oracle, seed, no_grad=False)
    expect.true(
        not facts["requires_grad"] and not facts["has_grad_fn"],
        "sgld_step returns a tensor that is not detached (it still requires grad / has "
        "autograd history): return .detach() of the new x",
    )


@pytest.mark.points(1)
def test_step_leaves_parameter_grads(sub, oracle, seed):
    """Are the .grad fields of the energy model's parameters left exactly as they were?"""
    require_downhill(sub, oracle, seed)
    g = torch.Generator().manual_seed(seed + 5)
    weights = oracle.mlp_weights(seed)
    preset = [
        None,
        torch.randn(weights["b1"].shape, generator=g, dtype=torch.float64),
        None,
        torch.randn(weights["b2"].shape, generator=g, dtype=torch.float64),
    ]
    facts, _, _ = _step_facts(sub, oracle, seed, no_grad=False, preset=preset)
    after = facts["param_grads"]
    same = len(after) == len(preset) and all(
        (a is None and p is None)
        or (a is not None and p is not None and expect.is_close(a, p, rtol=0, atol=0))
        for a, p in zip(after, preset)
    )
    expect.true(
        same,
        "sgld_step changed the .grad of the model's parameters: take the gradient with "
        "torch.autograd.grad(energy, x) rather than .backward() (and do not zero them)",
    )


@pytest.mark.points(1)
def test_step_keeps_input_and_dtype(sub, oracle, seed):
    """Is x left unmodified (values and requires_grad), and does a float64 input give a
    float64 output?"""
    require_downhill(sub, oracle, seed)
    x = _x(seed)
    energy, _ = _quadratic(sub, oracle, seed)
    res = sub.helpers.inputs_after(
        sub.sgld_step, [x, energy, 0.2], {"generator": sub.new_generator(seed)}
    )
    expect.true(
        expect.is_close(res["args_after"][0], x, rtol=0, atol=0),
        "sgld_step modified its input x in place: compute a new tensor",
    )
    expect.true(
        res["args_require_grad"][0] is False,
        "sgld_step switched on requires_grad of the caller's x (x.requires_grad_() changes "
        "x itself): take the gradient with respect to x.detach().requires_grad_()",
    )
    out = expect.tensor(res["out"], "sgld_step should return a tensor")
    expect.true(
        out.dtype == torch.float64,
        f"sgld_step turned a float64 input into {str(out.dtype).removeprefix('torch.')}: "
        "keep the dtype of x (draw the noise with dtype=x.dtype)",
    )
