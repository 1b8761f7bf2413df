"""Fixtures shared by the backprop graders (trusted side)."""

from __future__ import annotations

import ast
import types

import pytest
import torch

from dlgrade.grading import expect

F64 = torch.float64

# Names (matched on each dotted part) the graded convolution and pooling functions must
# not reach: built-in layers and autograd.
FORBIDDEN = {
    "conv2d": frozenset(
        {
            "conv1d",
            "conv2d",
            "conv3d",
            "Conv2d",
            "conv_transpose2d",
            "ConvTranspose2d",
            "convolution",
            "_convolution",
            "conv2d_input",
            "conv2d_weight",
            "grad",
            "autograd",
            "backward",
            "enable_grad",
            "requires_grad",
            "requires_grad_",
            "vjp",
            "jacobian",
            "functorch",
            "func",
        }
    ),  # fmt: skip
    "maxpool": frozenset(
        {
            "max_pool2d",
            "MaxPool2d",
            "max_pool2d_with_indices",
            "adaptive_max_pool2d",
            "max_pool1d",
            "max_pool3d",
            "fractional_max_pool2d",
            "max_unpool2d",
            "MaxUnpool2d",
            "grad",
            "autograd",
            "backward",
            "enable_grad",
            "requires_grad",
            "requires_grad_",
            "vjp",
            "jacobian",
            "functorch",
            "func",
        }
    ),  # fmt: skip
}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    return None


def _top_level(tree: ast.Module) -> tuple[dict[str, list[ast.AST]], dict[str, str]]:
    defs: dict[str, list[ast.AST]] = {}
    aliases: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    defs.setdefault(target.id, []).append(node)
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module or ''}.{a.name}"
        elif isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name
    return defs, aliases


def _local_names(node: ast.AST) -> set[str]:
    """Names bound inside the functions of `node` (arguments, assignment, loop, with and
    comprehension targets): a use of one of them is the local, not a top-level name."""
    local: set[str] = set()
    for scope in ast.walk(node):
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = scope.args
            local |= {
                x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x
            }
            for sub in ast.walk(scope):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                    local.add(sub.id)
    return local


def forbidden_used(source, names: list[str], forbidden: frozenset[str]) -> set[str]:
    """Forbidden names reached from the top-level definitions `names`, following calls
    to other top-level definitions and assignments of the notebook (parsed, never run)."""
    if source.tree is None:
        return set()
    defs, aliases = _top_level(source.tree)
    seen: set[str] = set()
    todo = list(names)
    hits: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for node in defs.get(name, []):
            local = _local_names(node)
            for sub in ast.walk(node):
                dotted = None
                if isinstance(sub, (ast.Name, ast.Attribute)):
                    dotted = _dotted(sub)
                elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    dotted = sub.value
                if not dotted:
                    continue
                head = dotted.split(".")[0]
                full = dotted
                if head in aliases:
                    full = aliases[head] + dotted[len(head) :]
                hits |= {part for part in full.split(".") if part in forbidden}
                if head in defs and head not in seen and head not in local:
                    todo.append(head)
    return hits


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _run_layer(sub, forward: str, backward: str, args: list, grad_out) -> tuple:
    """`(out, grads)` of the submission's forward/backward pair, run in the sandbox."""
    result = sub.helpers.forward_backward(
        getattr(sub, forward), getattr(sub, backward), args, grad_out
    )
    expect.true(isinstance(result, dict), f"{forward} and {backward} could not be run")
    if "problem" in result:
        expect.fail(f"{forward} must return a tuple (out, cache)")
    return result["out"], result["grads"]


def output(result, name: str):
    """The `out` of a forward function's `(out, cache)`."""
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        f"{name} must return a tuple (out, cache)",
    )
    return result[0]


def grads_tuple(grads, name: str, count: int) -> tuple:
    expect.true(
        isinstance(grads, (tuple, list)) and len(grads) == count,
        f"{name} must return a tuple of {count} gradients",
    )
    return tuple(grads)


def scalar(value):
    """A loss as a 0-dim tensor. The wire format sends 0-dim tensors as shape (1,)
    (np.ascontiguousarray makes them 1-d), so a one-element result is read as 0-dim here;
    whether the submission's loss really is 0-dim is asked in the sandbox (loss_dims)."""
    t = expect.tensor(value, "the loss must be a tensor")
    return t.reshape(()) if t.numel() == 1 else t


def resend(value):
    """Data that came from the sandbox, made fit to send back: strings (dict keys too)
    arrive as marked SandboxText, which the encoder sends back with its marks (a cache
    dict {"W": ...} would come back keyed by a marked "W"); plain str restores them."""
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, dict):
        return {resend(k): resend(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resend(v) for v in value]
    if isinstance(value, tuple):
        return tuple(resend(v) for v in value)
    return value


@pytest.fixture(scope="session")
def tools() -> types.SimpleNamespace:
    """Shared trusted helpers: run_layer, output, grads_tuple, forbidden_used, FORBIDDEN."""
    return types.SimpleNamespace(
        run_layer=_run_layer,
        scalar=scalar,
        resend=resend,
        output=output,
        grads_tuple=grads_tuple,
        forbidden_used=forbidden_used,
        FORBIDDEN=FORBIDDEN,
    )
