"""Fixtures shared by the attention graders (trusted side)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch

from dlgrade.grading import expect
from dlgrade.grading.plugin import load_grader_module

HERE = Path(__file__).resolve().parent


def _load(name: str) -> types.ModuleType:
    return load_grader_module(HERE / f"{name}.py")


@pytest.fixture(scope="session")
def bugs() -> types.ModuleType:
    """Trusted copies of the reference with typical mistakes switched on."""
    return _load("bugmodels")


@pytest.fixture(scope="session")
def static() -> types.ModuleType:
    """The static check for torch's built-in attention."""
    return _load("staticcheck")


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randomize(module: torch.nn.Module, gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Give every parameter a random float64 value (LayerNorm scales around 1); returns them."""
    params = {}
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() >= 2:
                value = (
                    torch.randn(p.shape, generator=gen, dtype=torch.float64) / p.shape[-1] ** 0.5
                )
            elif name.endswith("weight"):
                value = 1 + 0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            else:
                value = 0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            p.copy_(value)
            params[name] = value
    return params


def match_parameters(
    expected: dict[str, tuple], actual: dict[str, tuple], what: str
) -> dict[str, str]:
    """Map expected parameter names to the submission's: by name, else by order and shape."""
    mapping = {n: n for n in expected if actual.get(n) == tuple(expected[n])}
    left_exp = [n for n in expected if n not in mapping]
    left_act = [n for n in actual if n not in mapping.values()]
    if left_exp or left_act:
        same = len(left_exp) == len(left_act) and all(
            tuple(expected[e]) == tuple(actual[a]) for e, a in zip(left_exp, left_act)
        )
        if not same:
            missing = ", ".join(f"{n} {tuple(expected[n])}" for n in left_exp) or "none"
            extra = ", ".join(f"{n} {tuple(actual[n])}" for n in left_act) or "none"
            expect.fail(
                f"{what} does not have the parameters described in the notebook. "
                f"Missing (name and shape): {missing}. Unexpected: {extra}"
            )
        mapping.update(zip(left_exp, left_act))
    return mapping


def _load_weights(sub, handle, params: dict[str, torch.Tensor], what: str) -> None:
    """Turn the submitted module to float64 and give it the reference's weights."""
    handle.double()
    shapes = sub.helpers.param_shapes(handle)
    mapping = match_parameters({n: tuple(t.shape) for n, t in params.items()}, shapes, what)
    sub.builtins.load_state_dict(handle, {mapping[n]: t for n, t in params.items()}, strict=False)


def _copy_trained(sub, handle, module: torch.nn.Module, what: str) -> torch.nn.Module:
    """Give a trusted `module` the parameters of the submitted `handle` (fetched as plain
    tensors), so the trusted side can measure what the submission's training produced."""
    expected = {n: tuple(p.shape) for n, p in module.named_parameters()}
    mapping = match_parameters(expected, sub.helpers.param_shapes(handle), what)
    return expect.weights(sub.builtins.state_dict(handle), module, what, mapping)


@pytest.fixture(scope="session")
def copy_trained():
    """`copy_trained(sub, handle, module, what)`: a submitted module's parameters, copied
    into a trusted module of the same layout."""
    return _copy_trained


@pytest.fixture(scope="session")
def load_weights():
    """`load_weights(sub, handle, params, what)`: float64 copy of `params` into a submitted module."""
    return _load_weights


@pytest.fixture(scope="session")
def randomize():
    """`randomize(module, gen)`: random float64 parameters for a trusted module; returns them."""
    return _randomize
