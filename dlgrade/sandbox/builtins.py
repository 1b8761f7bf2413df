"""Generic helpers graders may call inside the sandbox (``sub.builtins.<name>``).

They run next to the student's objects and return plain data; they never judge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch


def new_generator(seed: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with `seed` (returned to the grader as a handle)."""
    return torch.Generator().manual_seed(int(seed))


def vjp(fn: Callable, args: Sequence[Any], grad_out: Any, kwargs: dict | None = None):
    """``(output, grads)``: `fn(*args)` and the gradient of ``<output, grad_out>`` with
    respect to every tensor argument (None where no gradient flows)."""
    args = [a.detach().clone().requires_grad_(True) if _is_float_tensor(a) else a for a in args]
    out = fn(*args, **(kwargs or {}))
    first = out[0] if isinstance(out, (tuple, list)) else out
    tensors = [a for a in args if _is_float_tensor(a)]
    grads = torch.autograd.grad(first, tensors, grad_out, allow_unused=True)
    it = iter(grads)
    return first.detach(), [next(it) if _is_float_tensor(a) else None for a in args]


def jacobian(fn: Callable, x: torch.Tensor, output_index: int | None = None) -> torch.Tensor:
    """Jacobian of `fn` at `x` (``output_index`` picks one element of a tuple output)."""

    def f(inp):
        out = fn(inp)
        return out[output_index] if output_index is not None else out

    return torch.autograd.functional.jacobian(f, x)


def call_no_grad(fn: Callable, *args, **kwargs):
    """`fn(*args, **kwargs)` inside ``torch.no_grad()``."""
    with torch.no_grad():
        return fn(*args, **kwargs)


def state_dict(module: torch.nn.Module) -> dict:
    """A module's parameters and buffers as a plain ``{name: tensor}`` dict."""
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def load_state_dict(module: torch.nn.Module, state: dict, strict: bool = True) -> None:
    module.load_state_dict(state, strict=strict)


def eval_mode(module: torch.nn.Module) -> None:
    module.eval()


def _is_float_tensor(a: Any) -> bool:
    return isinstance(a, torch.Tensor) and a.is_floating_point()
