"""Fixtures shared by the segmentation graders (trusted side)."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import torch

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def bugs() -> types.ModuleType:
    """Trusted copies of the reference with typical mistakes switched on (diagnoses only)."""
    return load_grader_module(HERE / "bugmodels.py")


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_unet_state(ref, gen: torch.Generator, **config) -> tuple[torch.nn.Module, dict]:
    """The reference UNet in float64 with random He-scaled weights; (model, state_dict)."""
    model = ref.UNet(**config).double()
    state = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() > 1:
                fan_in = p.shape[1] * p[0, 0].numel()
                if "up." in name:  # ConvTranspose2d weights are (in, out, k, k)
                    fan_in = p.shape[0] * p[0, 0].numel() / 4
                value = torch.randn(p.shape, generator=gen, dtype=torch.float64)
                value *= (2.0 / fan_in) ** 0.5
            else:
                value = 0.1 * torch.randn(p.shape, generator=gen, dtype=torch.float64)
            p.copy_(value)
            state[name] = value
    return model.eval(), state


def load_into_sub(sub, handle, state: dict, what: str) -> None:
    """Load the grader's weights into the submission's module by name."""
    try:
        sub.builtins.load_state_dict(handle, state)
    except StudentError as exc:
        expect.fail(
            f"the grader could not load its weights into your {what} by name ({exc.type}): "
            "use exactly the attribute names and layers the notebook describes "
            "(enc, bottleneck, up, dec, head; see test_structure)"
        )


@pytest.fixture(scope="session")
def unet_pair():
    """unet_pair(sub, ref, gen, **config) -> (submission handle in float64, reference, state)."""

    def build(sub, ref, gen, **config):
        model, state = random_unet_state(ref, gen, **config)
        try:
            handle = sub.helpers.as_double(sub.UNet(**config))
        except StudentError as exc:
            expect.fail(f"UNet({config}) raised {exc.type}")
        load_into_sub(sub, handle, state, "UNet")
        return handle, model, state

    return build
