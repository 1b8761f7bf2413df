"""Fixtures shared by the represent graders (trusted side)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch

from dlgrade.grading import expect
from dlgrade.grading.plugin import load_grader_module

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def trusted() -> types.ModuleType:
    """Trusted copies of the notebook's functions, with typical mistakes as switches."""
    return load_grader_module(HERE / "trusted.py")


def randn(seed: int, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """A float64 standard normal tensor from its own generator (grader-side inputs)."""
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(*shape, generator=g, dtype=torch.float64)


def scalar(value: object, what: str) -> torch.Tensor:
    """A loss that came back from the sandbox, as a float64 0-d tensor (or a failure
    naming what is wrong with it)."""
    loss = expect.tensor(value, f"{what} should return the loss as a tensor (not .item())")
    expect.true(
        loss.numel() == 1, f"{what} should return a single number (got shape {tuple(loss.shape)})"
    )
    return loss.reshape(()).double()


def close_any(
    actual: object,
    accepted: list[torch.Tensor],
    message: str,
    diagnoses: dict | None = None,
    **tolerance: float,
) -> None:
    """Pass when `actual` matches one of the accepted outputs; else name the defect."""
    if any(expect.is_close(actual, a, **tolerance) for a in accepted):
        return
    expect.close(actual, accepted[0], message, diagnoses=diagnoses, **tolerance)


@pytest.fixture(scope="session")
def data() -> types.SimpleNamespace:
    """Input builders for the graders."""
    return types.SimpleNamespace(randn=randn, scalar=scalar, close_any=close_any)
