"""Task 1: linear_forward(x, W, b) -> (out, cache), linear_backward(grad_out, cache) -> (dx, dW, db)."""

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_linear")
F64 = torch.float64


def data(gen, n=4, d_in=3, d_out=5):
    x = torch.randn(n, d_in, generator=gen, dtype=F64)
    W = torch.randn(d_out, d_in, generator=gen, dtype=F64)
    b = torch.randn(d_out, generator=gen, dtype=F64)
    return x, W, b


def autograd_grads(x, W, b, grad_out):
    leaves = [t.clone().requires_grad_(True) for t in (x, W, b)]
    return torch.autograd.grad(F.linear(*leaves), leaves, grad_out)


@pytest.mark.points(1)
@pytest.mark.visible
def test_forward(sub, tools, gen):
    """linear_forward equals F.linear (x W^T + b) on a batch."""
    x, W, b = data(gen)
    out = tools.output(sub.linear_forward(x, W, b), "linear_forward")
    expect.close(
        out, F.linear(x, W, b), "linear_forward is wrong",
        diagnoses={"the bias is missing": x @ W.T, "the bias is subtracted": x @ W.T - b},
    )  # fmt: skip


@pytest.mark.points(2)
def test_backward(sub, tools, gen):
    """dx, dW and db equal torch.autograd's for F.linear (float64)."""
    x, W, b = data(gen, n=6, d_in=4, d_out=3)
    grad_out = torch.randn(6, 3, generator=gen, dtype=F64)
    out, grads = tools.run_layer(sub, "linear_forward", "linear_backward", [x, W, b], grad_out)
    dx, dW, db = tools.grads_tuple(grads, "linear_backward", 3)
    ex, eW, eb = autograd_grads(x, W, b, grad_out)
    expect.close(dx, ex, "the gradient with respect to x (dx) is wrong")
    expect.close(
        dW, eW, "the gradient with respect to W (dW) is wrong",
        diagnoses={"dW is averaged over the batch instead of summed": eW / 6},
    )  # fmt: skip
    expect.close(
        db,
        eb,
        "the gradient with respect to b (db) is wrong",
        diagnoses={
            "db is averaged over the batch: the bias is added to every row, so its gradient "
            "is the SUM of grad_out over the batch": eb / 6,
        },
    )


class _Remote(torch.autograd.Function):
    """The submission's forward and backward, called from here, as one autograd node."""

    @staticmethod
    def forward(ctx, x, W, b, sub, tools):
        result = sub.linear_forward(x, W, b)
        out = tools.output(result, "linear_forward")
        ctx.cache, ctx.sub, ctx.tools = tools.resend(result[1]), sub, tools
        return expect.tensor(out, "linear_forward must return a tensor").clone()

    @staticmethod
    def backward(ctx, grad_out):
        grads = ctx.sub.linear_backward(grad_out.contiguous(), ctx.cache)
        dx, dW, db = ctx.tools.grads_tuple(grads, "linear_backward", 3)
        return (*(expect.tensor(g, "linear_backward must return tensors") for g in (dx, dW, db)),
                None, None)  # fmt: skip


@pytest.mark.points(1)
def test_gradcheck(sub, tools, gen):
    """torch.autograd.gradcheck: your backward matches finite differences of your forward,
    and the forward is F.linear."""
    x, W, b = data(gen, n=2, d_in=3, d_out=2)
    out = tools.output(sub.linear_forward(x, W, b), "linear_forward")
    expect.close(out, F.linear(x, W, b), "linear_forward is wrong")
    leaves = [t.clone().requires_grad_(True) for t in (x, W, b)]
    try:
        ok = torch.autograd.gradcheck(
            lambda x_, W_, b_: _Remote.apply(x_, W_, b_, sub, tools), leaves,
            eps=1e-6, atol=1e-5, rtol=1e-4, raise_exception=False,
            check_undefined_grad=False, check_batched_grad=False,
        )  # fmt: skip
    except (RuntimeError, TypeError, ValueError):
        ok = False
    expect.true(
        ok,
        "torch.autograd.gradcheck fails: linear_backward does not agree with finite "
        "differences of linear_forward",
    )
