"""Trusted helpers shared by the energy graders (exposed as the `oracle` fixture)."""

import types

import pytest
import torch


def mlp_weights(seed: int, d_in: int = 2, hidden: int = 8, classes: int = 3) -> dict:
    """Weights of a Linear -> tanh -> Linear network (float64), as plain tensors."""
    g = torch.Generator().manual_seed(seed)

    def rand(*shape, scale=1.0):
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    return {
        "w1": rand(hidden, d_in, scale=0.8),
        "b1": rand(hidden, scale=0.3),
        "w2": rand(classes, hidden, scale=0.8),
        "b2": rand(classes, scale=0.3),
    }


def mlp_forward(weights: dict, x: torch.Tensor) -> torch.Tensor:
    """The logits of the network `sandbox_helpers.mlp(weights)` builds, computed here."""
    h = torch.tanh(x @ weights["w1"].T + weights["b1"])
    return h @ weights["w2"].T + weights["b2"]


def energy_grad(energy, x: torch.Tensor) -> torch.Tensor:
    """Per-sample gradient of an energy (N,) with respect to x."""
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(energy(x).sum(), x)
    return g


def noise_sequences(shape, seed: int, dtype: torch.dtype, steps: int) -> list[torch.Tensor]:
    """Langevin noise as the notebook specifies it: `steps` draws from one generator,
    stacked to (steps, *shape). Also the same draws made in float32 and cast, an
    acceptable reading of the rule."""
    out = []
    for draw_dtype in (dtype, torch.float32):
        g = torch.Generator().manual_seed(seed)
        draws = [torch.randn(shape, generator=g, dtype=draw_dtype) for _ in range(steps)]
        out.append(torch.stack(draws).to(dtype))
    return out


def noise_draws(shape, seed: int, dtype: torch.dtype) -> list[torch.Tensor]:
    """The accepted noise tensors for a single step (see `noise_sequences`)."""
    return [seq[0] for seq in noise_sequences(shape, seed, dtype, 1)]


def bn_weights(seed: int, d_in: int = 2, hidden: int = 6, classes: int = 3) -> dict:
    """Weights and running statistics of the batch-norm classifier
    `sandbox_helpers.bn_classifier` builds (float64), as plain tensors. The running
    statistics are far from a batch's own, so train and eval mode disagree clearly."""
    g = torch.Generator().manual_seed(10_000 + seed)

    def rand(*shape, scale=1.0):
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    return {
        "w1": rand(hidden, d_in, scale=0.8),
        "b1": rand(hidden, scale=0.3),
        "bn_w": 1.0 + rand(hidden, scale=0.3),
        "bn_b": rand(hidden, scale=0.3),
        "bn_mean": rand(hidden, scale=0.8),
        "bn_var": 0.3 + 2.0 * torch.rand(hidden, generator=g, dtype=torch.float64),
        "w2": rand(classes, hidden, scale=1.2),
        "b2": rand(classes, scale=0.3),
    }


def spd_matrix(seed: int, d: int = 2) -> torch.Tensor:
    """A symmetric positive-definite d x d matrix with eigenvalues in [0.5, 2]."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    eig = 0.5 + 1.5 * torch.rand(d, generator=g, dtype=torch.float64)
    return q @ torch.diag(eig) @ q.T


@pytest.fixture(scope="session")
def oracle() -> types.SimpleNamespace:
    """Trusted helper functions for the energy graders."""
    return types.SimpleNamespace(
        mlp_weights=mlp_weights,
        mlp_forward=mlp_forward,
        bn_weights=bn_weights,
        energy_grad=energy_grad,
        noise_draws=noise_draws,
        noise_sequences=noise_sequences,
        spd_matrix=spd_matrix,
    )
