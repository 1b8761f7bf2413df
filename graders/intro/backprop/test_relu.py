"""Task 2: relu_forward(x) -> (out, cache), relu_backward(grad_out, cache) -> dx."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_relu")
F64 = torch.float64


def with_zeros(gen, shape):
    x = torch.randn(*shape, generator=gen, dtype=F64)
    x[torch.rand(*shape, generator=gen) < 0.25] = 0.0
    return x


@pytest.mark.points(1)
@pytest.mark.visible
def test_forward(sub, tools, gen):
    """relu_forward equals torch.relu on a 4-D tensor (with exact zeros)."""
    x = with_zeros(gen, (2, 3, 4, 2))
    out = tools.output(sub.relu_forward(x), "relu_forward")
    expect.close(
        out, torch.relu(x), "relu_forward is wrong",
        diagnoses={"negative inputs must give 0, not |x|": x.abs(), "this is -ReLU": -torch.relu(x)},
    )  # fmt: skip


@pytest.mark.points(1)
def test_backward(sub, tools, gen):
    """dx equals torch.autograd's for torch.relu (no exact zeros)."""
    x = torch.randn(3, 7, generator=gen, dtype=F64)
    grad_out = torch.randn(3, 7, generator=gen, dtype=F64)
    _, dx = tools.run_layer(sub, "relu_forward", "relu_backward", [x], grad_out)
    leaf = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(torch.relu(leaf), leaf, grad_out)
    expect.close(
        dx, expected, "relu_backward is wrong",
        diagnoses={
            "grad_out is not multiplied in: dx = grad_out * [x > 0]": (x > 0).to(F64),
            "the gradient passes where x < 0 instead of x > 0": grad_out * (x < 0),
            "the gradient is not masked: it must be 0 where x < 0": grad_out,
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_backward_at_zero(sub, tools, gen):
    """At x = 0 exactly the gradient is 0 (the subgradient PyTorch uses)."""
    x = with_zeros(gen, (4, 5))
    x[0, :2] = 0.0
    grad_out = torch.randn(4, 5, generator=gen, dtype=F64)
    _, dx = tools.run_layer(sub, "relu_forward", "relu_backward", [x], grad_out)
    leaf = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(torch.relu(leaf), leaf, grad_out)
    expect.close(
        dx,
        expected,
        "relu_backward is wrong",
        diagnoses={"at x = 0 the gradient must be 0 (use x > 0, not x >= 0)": grad_out * (x >= 0)},
    )
