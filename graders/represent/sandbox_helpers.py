"""Grader-authored code that runs inside the sandbox, next to the student's functions.

Probes that report plain facts (outputs, inputs after a call, gradients). Nothing here
computes an expected value or a verdict: the trusted tests do.
"""

from collections.abc import Callable

import torch
from torch import nn


def inputs_after(fn: Callable, args: list, kwargs: dict) -> dict:
    """Call fn(*args, **kwargs); return its result and the tensor arguments afterwards."""
    out = fn(*args, **kwargs)
    after = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
    return {"out": out, "args_after": after}


def twice_with_generator(fn: Callable, args: list, kwargs: dict, seed: int) -> list:
    """fn called twice, each time with a fresh generator seeded `seed` but a different
    global random state; returns both results."""
    outs = []
    for global_seed in (11, 12):
        torch.manual_seed(global_seed)
        outs.append(fn(*args, **dict(kwargs, generator=torch.Generator().manual_seed(seed))))
    return outs


def with_global_seed(fn: Callable, args: list, kwargs: dict, seed: int) -> object:
    """fn(*args, **kwargs) without a generator, torch's global random state seeded `seed`."""
    torch.manual_seed(seed)
    return fn(*args, **kwargs)


def linear_encoder(weight: torch.Tensor, bias: torch.Tensor) -> nn.Linear:
    """A linear float64 encoder with the given weights (its parameters require grad)."""
    enc = nn.Linear(weight.shape[1], weight.shape[0]).double()
    with torch.no_grad():
        enc.weight.copy_(weight)
        enc.bias.copy_(bias)
    return enc


def probe_on_encoder(
    probe_fn: Callable,
    weight: torch.Tensor,
    bias: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    x_test: torch.Tensor,
    n_classes: int,
    kwargs: dict,
) -> dict:
    """The student's linear_probe on features an encoder just produced (they require
    grad); report the logits and what reached the encoder's parameters."""
    enc = linear_encoder(weight, bias)
    out = probe_fn(enc(x), y, enc(x_test), n_classes, **kwargs)
    is_tensor = isinstance(out, torch.Tensor)
    return {
        "out": out.detach().clone() if is_tensor else None,
        "requires_grad": bool(is_tensor and out.requires_grad),
        "param_grads": [
            None if p.grad is None else p.grad.detach().clone() for p in enc.parameters()
        ],
    }
