"""Fixtures shared by the approximation graders (trusted side)."""

from __future__ import annotations

import pytest
import torch

from dlgrade.grading import expect

# Names whose last dotted part is one of these, when called as an attribute (torch.tanh,
# x.tanh, F.softplus), are PyTorch's own versions of what the notebook asks for.
BUILTIN_PARTS = frozenset(
    "relu sigmoid tanh softplus gelu logaddexp expit logit silu elu selu log_sigmoid "
    "logsigmoid hardtanh relu6 softmax log_softmax logsumexp cross_entropy nll_loss".split()
)
FORBIDDEN_PREFIXES = ("F.", "nn.", "torch.nn", "torch.special", "torch.autograd", "torch.func")


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _builtins_used(source, name: str, extra: frozenset[str] = frozenset()) -> set[str]:
    used = set()
    for dotted in source.calls_in(name):
        clean = dotted.strip("'")
        if dotted.startswith("'"):
            continue
        last = clean.rsplit(".", 1)[-1]
        if ("." in clean and (last in BUILTIN_PARTS or last in extra)) or clean.startswith(
            FORBIDDEN_PREFIXES
        ):
            used.add(clean)
    return used


@pytest.fixture(scope="session")
def builtins_used():
    """`builtins_used(source, name, extra=frozenset())`: PyTorch built-ins (and names in
    `extra`) that the definition of `name` uses, as dotted names."""
    return _builtins_used


def _require_defined(source, names) -> None:
    for name in names:
        expect.true(source.definition(name) is not None, f"the notebook does not define {name}")


@pytest.fixture(scope="session")
def require_defined():
    return _require_defined
