"""Task 5: maxpool2x2_forward(x) -> (out, cache), maxpool2x2_backward(grad_out, cache) -> dx."""

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_maxpool")
F64 = torch.float64


def autograd_dx(x, grad_out):
    leaf = x.clone().requires_grad_(True)
    (dx,) = torch.autograd.grad(F.max_pool2d(leaf, 2), leaf, grad_out)
    return dx


def tie_diagnoses(x, grad_out):
    up = F.interpolate(F.max_pool2d(x, 2), scale_factor=2, mode="nearest")
    g_up = F.interpolate(grad_out, scale_factor=2, mode="nearest")
    ties = (x == up).to(F64)
    count = F.interpolate(F.avg_pool2d(ties, 2) * 4, scale_factor=2, mode="nearest")
    last = autograd_dx(x.flip(2, 3), grad_out.flip(2, 3)).flip(2, 3)
    return {
        "with ties the gradient goes to every maximum of the window; it must go to the "
        "first one only (row-major order)": ties * g_up,
        "with ties the gradient is split among the maxima of the window; it must go to the "
        "first one only (row-major order)": ties * g_up / count,
        "with ties the gradient goes to the last maximum of the window; it must go to the "
        "first one (row-major order: top-left, top-right, bottom-left, bottom-right)": last,
    }


def check_dx(dx, x, grad_out, what=""):
    dx = expect.tensor(dx, "maxpool2x2_backward must return a tensor")
    expect.shape(dx, tuple(x.shape), "dx must have the shape of x")
    expect.true(
        dx.dtype == x.dtype, f"dx must keep the dtype of grad_out ({x.dtype}), got {dx.dtype}"
    )
    expect.close(
        dx, autograd_dx(x, grad_out), "maxpool2x2_backward is wrong" + what,
        diagnoses={
            "the gradient is spread over the whole window instead of going to its maximum":
                F.interpolate(grad_out, scale_factor=2, mode="nearest"),
            **tie_diagnoses(x, grad_out),
        },
    )  # fmt: skip


@pytest.mark.points(1)
@pytest.mark.visible
def test_forward(sub, tools, gen):
    """The output equals F.max_pool2d(x, 2) on a non-square batch."""
    x = torch.randn(2, 3, 4, 6, generator=gen, dtype=F64)
    out = tools.output(sub.maxpool2x2_forward(x), "maxpool2x2_forward")
    expect.close(
        out, F.max_pool2d(x, 2), "maxpool2x2_forward is wrong",
        diagnoses={
            "this is average pooling": F.avg_pool2d(x, 2),
            "this is the minimum of each window": -F.max_pool2d(-x, 2),
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_backward(sub, tools, gen):
    """dx equals torch.autograd's for F.max_pool2d (no ties)."""
    x = torch.randn(2, 2, 6, 4, generator=gen, dtype=F64)
    grad_out = torch.randn(2, 2, 3, 2, generator=gen, dtype=F64)
    _, dx = tools.run_layer(sub, "maxpool2x2_forward", "maxpool2x2_backward", [x], grad_out)
    check_dx(dx, x, grad_out)


@pytest.mark.points(1)
def test_ties(sub, tools, gen):
    """With ties (small integers, all-zero windows after a ReLU) the gradient goes to the
    first maximum in row-major order, as in F.max_pool2d."""
    x = torch.randint(-1, 2, (2, 3, 4, 4), generator=gen).to(F64).clamp(min=0)
    x[0, 0] = 0.0
    grad_out = torch.randn(2, 3, 2, 2, generator=gen, dtype=F64)
    out, dx = tools.run_layer(sub, "maxpool2x2_forward", "maxpool2x2_backward", [x], grad_out)
    expect.close(out, F.max_pool2d(x, 2), "maxpool2x2_forward is wrong with ties")
    check_dx(dx, x, grad_out, " with ties")


@pytest.mark.points(1)
def test_no_builtin_pooling(sub, tools, source, gen):
    """A working max-pooling written without F.max_pool2d, nn.MaxPool2d or autograd."""
    names = ["maxpool2x2_forward", "maxpool2x2_backward"]
    for name in names:
        expect.true(source.definition(name) is not None, f"the notebook does not define {name}")
    x = torch.randn(1, 2, 4, 4, generator=gen, dtype=F64)
    grad_out = torch.randn(1, 2, 2, 2, generator=gen, dtype=F64)
    out, dx = tools.run_layer(sub, "maxpool2x2_forward", "maxpool2x2_backward", [x], grad_out)
    expect.close(out, F.max_pool2d(x, 2), "maxpool2x2_forward is wrong")
    check_dx(dx, x, grad_out)
    used = tools.forbidden_used(source, names, tools.FORBIDDEN["maxpool"])
    expect.true(
        not used,
        "maxpool2x2_forward / maxpool2x2_backward use a built-in pooling or autograd "
        f"({', '.join(sorted(used))}); find the maximum of each window yourself",
    )
