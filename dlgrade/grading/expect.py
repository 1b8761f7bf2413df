"""Assertions whose messages are written for students.

They never print hidden inputs or expected values: only shapes, dtypes and error sizes.
Compare in the trusted process; everything passed in here is plain data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from dlgrade.grading.proxy import RemoteRef


def _as_tensor(x: Any) -> torch.Tensor | None:
    if isinstance(x, torch.Tensor):
        return x.detach()
    if isinstance(x, np.ndarray) and not x.dtype.hasobject:
        return torch.from_numpy(x)
    if isinstance(x, (int, float, bool)) and not isinstance(x, RemoteRef):
        return torch.tensor(x)
    return None


def _describe(x: Any) -> str:
    if isinstance(x, RemoteRef):
        return f"an object ({x._type or 'not a tensor'})"
    if x is None:
        return "None"
    if isinstance(x, torch.Tensor):
        return f"a tensor of shape {tuple(x.shape)} and dtype {str(x.dtype).removeprefix('torch.')}"
    return f"a {type(x).__name__}"


def fail(message: str) -> None:
    raise AssertionError(message)


def true(condition: Any, message: str) -> None:
    if not bool(condition):
        fail(message)


def tensor(actual: Any, message: str = "expected a tensor") -> torch.Tensor:
    t = _as_tensor(actual)
    if t is None:
        fail(f"{message}: got {_describe(actual)}")
    return t


def shape(actual: Any, expected: tuple[int, ...], message: str = "wrong shape") -> None:
    t = tensor(actual, message)
    if tuple(t.shape) != tuple(expected):
        fail(f"{message}: got shape {tuple(t.shape)}, expected {tuple(expected)}")


def weights(
    fetched: Any, module: torch.nn.Module, what: str, names: dict[str, str] | None = None
) -> torch.nn.Module:
    """Load parameters fetched from the sandbox (a plain ``{name: tensor}`` dict, e.g.
    ``sub.builtins.state_dict(handle)``) into a trusted `module` of the expected layout,
    so what the submission produced is measured here. `names` maps the module's parameter
    names to the fetched ones where they differ. Returns `module`."""
    true(isinstance(fetched, dict), f"the parameters of {what} could not be read back")
    values = {}
    for name, param in module.named_parameters():
        key = (names or {}).get(name, name)
        message = f"{what}: parameter {key}"
        shape(fetched.get(key), tuple(param.shape), message)
        values[name] = tensor(fetched[key], message).to(param.dtype)
    module.load_state_dict(values, strict=False)
    return module


def is_close(actual: Any, expected: Any, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Same shape, finite where expected is finite, and within tolerance."""
    a, e = _as_tensor(actual), _as_tensor(expected)
    if a is None or e is None or tuple(a.shape) != tuple(e.shape):
        return False
    if a.is_complex() != e.is_complex():
        return False
    a64 = a.to(torch.complex128 if a.is_complex() else torch.float64)
    e64 = e.to(a64.dtype)
    return bool(torch.allclose(a64, e64, rtol=rtol, atol=atol, equal_nan=False))


def close(
    actual: Any,
    expected: Any,
    message: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    diagnoses: Mapping[str, Any] | None = None,
) -> None:
    """Fail unless `actual` matches `expected`; name the defect when a diagnosis matches.

    `diagnoses` maps a student-facing defect description to the output that defect would
    produce. They are tried in order, with the same tolerances.
    """
    if is_close(actual, expected, rtol, atol):
        return
    for defect, wrong in (diagnoses or {}).items():
        if wrong is not None and is_close(actual, wrong, rtol, atol):
            fail(f"{message}: {defect}")
    a, e = _as_tensor(actual), _as_tensor(expected)
    if a is None:
        fail(f"{message}: got {_describe(actual)}, expected a tensor")
    if e is not None and tuple(a.shape) != tuple(e.shape):
        fail(f"{message}: got shape {tuple(a.shape)}, expected {tuple(e.shape)}")
    a64, e64 = a.double(), e.double()
    if not torch.isfinite(a64).all() and torch.isfinite(e64).all():
        fail(f"{message}: the result contains NaN or inf")
    err = (a64 - e64).abs().max().item()
    fail(f"{message} (largest absolute error {err:.3g})")
