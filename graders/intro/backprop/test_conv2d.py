"""Task 4 (the hard part): conv2d_forward(x, W, b, padding=0) -> (out, cache) and
conv2d_backward(grad_out, cache) -> (dx, dW, db), judged against F.conv2d and autograd."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_conv2d")
F64 = torch.float64


def data(gen, n=2, c=3, h=6, w=5, f=4, kh=3, kw=2):
    x = torch.randn(n, c, h, w, generator=gen, dtype=F64)
    W = torch.randn(f, c, kh, kw, generator=gen, dtype=F64)
    b = torch.randn(f, generator=gen, dtype=F64)
    return x, W, b


def autograd_grads(x, W, b, padding, grad_out):
    leaves = [t.clone().requires_grad_(True) for t in (x, W, b)]
    out = F.conv2d(*leaves, padding=padding)
    return torch.autograd.grad(out, leaves, grad_out)


def forward_diagnoses(x, W, b, padding):
    return {
        "the kernel is flipped (a true convolution): like F.conv2d, compute the "
        "cross-correlation sum W[f, c, a, d] * x[n, c, i + a, j + d]": F.conv2d(
            x, W.flip(2, 3), b, padding=padding
        ),
        "the bias is missing": F.conv2d(x, W, None, padding=padding),
    }


def check_forward(out, x, W, b, padding, what):
    expected = F.conv2d(x, W, b, padding=padding)
    out = expect.tensor(out, "conv2d_forward must return the output as a tensor")
    expect.shape(out, tuple(expected.shape), f"the output{what} has the wrong shape")
    expect.close(
        out, expected, f"conv2d_forward is wrong{what}",
        diagnoses=forward_diagnoses(x, W, b, padding),
    )  # fmt: skip


def backward(sub, tools, x, W, b, padding, grad_out):
    args = [x, W, b, padding]
    out, grads = tools.run_layer(sub, "conv2d_forward", "conv2d_backward", args, grad_out)
    return out, tools.grads_tuple(grads, "conv2d_backward", 3)


def check_dx(dx, x, W, padding, grad_out, what=""):
    expected = F.conv_transpose2d(grad_out, W, padding=padding)
    dx = expect.tensor(dx, "dx must be a tensor")
    expect.true(
        tuple(dx.shape) == tuple(x.shape),
        f"dx{what} has shape {tuple(dx.shape)}, not the shape {tuple(x.shape)} of x"
        + (" (crop the padding away)" if padding else ""),
    )
    expect.close(
        dx, expected, f"the gradient with respect to the input (dx) is wrong{what}",
        diagnoses={
            "dx has the kernel the wrong way round (flipped): the padded input pixel "
            "(i + a, j + d) receives grad_out[n, f, i, j] * W[f, c, a, d]": F.conv_transpose2d(
                grad_out, W.flip(2, 3), padding=padding
            ),
        },
    )  # fmt: skip


def check_dW(dW, x, W, b, padding, grad_out, what=""):
    expected = autograd_grads(x, W, b, padding, grad_out)[1]
    expect.close(
        dW, expected, f"the gradient with respect to the weight (dW) is wrong{what}",
        diagnoses={
            "dW is averaged over the batch instead of summed": expected / x.shape[0],
            "dW ignores the padding: correlate grad_out with the PADDED input": (
                autograd_grads(x, W, b, 0, grad_out[..., padding:-padding, padding:-padding])[1]
                if padding and grad_out.shape[-1] > 2 * padding and grad_out.shape[-2] > 2 * padding
                else None
            ),
        },
    )  # fmt: skip


def check_db(db, grad_out, what=""):
    expected = grad_out.sum(dim=(0, 2, 3))
    expect.close(
        db,
        expected,
        f"the gradient with respect to the bias (db) is wrong{what}",
        diagnoses={
            "db is averaged instead of summed over the batch and the positions": grad_out.mean(
                dim=(0, 2, 3)
            ),
            "db sums over the positions but not over the batch": grad_out[0].sum(dim=(1, 2)),
        },
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_forward(sub, tools, gen):
    """Without padding (the default), a non-square kernel: equals F.conv2d."""
    x, W, b = data(gen)
    out = tools.output(sub.conv2d_forward(x, W, b), "conv2d_forward")
    check_forward(out, x, W, b, 0, " without padding")


@pytest.mark.points(1)
def test_forward_padding(sub, tools, gen):
    """padding=1 and padding=2 (zero padding on every side) equal F.conv2d."""
    for padding in (1, 2):
        x, W, b = data(gen, n=2, c=2, h=5, w=4, f=3, kh=3, kw=3)
        out = tools.output(sub.conv2d_forward(x, W, b, padding), "conv2d_forward")
        check_forward(out, x, W, b, padding, f" with padding={padding}")


@pytest.mark.points(2)
def test_grad_input(sub, tools, gen):
    """dx equals autograd's for F.conv2d, without and with padding."""
    for padding, (kh, kw) in ((0, (3, 2)), (1, (3, 3))):
        x, W, b = data(gen, n=2, c=3, h=5, w=6, f=2, kh=kh, kw=kw)
        grad_out = torch.randn(F.conv2d(x, W, b, padding=padding).shape, generator=gen, dtype=F64)
        _, (dx, _, _) = backward(sub, tools, x, W, b, padding, grad_out)
        check_dx(dx, x, W, padding, grad_out, f" (padding={padding})")


@pytest.mark.points(2)
def test_grad_weight(sub, tools, gen):
    """dW equals autograd's for F.conv2d, without and with padding."""
    for padding in (0, 1):
        x, W, b = data(gen, n=3, c=2, h=5, w=5, f=3, kh=3, kw=3)
        grad_out = torch.randn(F.conv2d(x, W, b, padding=padding).shape, generator=gen, dtype=F64)
        _, (_, dW, _) = backward(sub, tools, x, W, b, padding, grad_out)
        check_dW(dW, x, W, b, padding, grad_out, f" (padding={padding})")


@pytest.mark.points(1)
def test_grad_bias(sub, tools, gen):
    """db equals autograd's for F.conv2d."""
    x, W, b = data(gen, n=3, c=2, h=4, w=5, f=3, kh=2, kw=2)
    grad_out = torch.randn(F.conv2d(x, W, b, padding=1).shape, generator=gen, dtype=F64)
    _, (_, _, db) = backward(sub, tools, x, W, b, 1, grad_out)
    check_db(db, grad_out)


shapes = st.fixed_dictionaries(
    {
        "n": st.integers(1, 2),
        "c": st.integers(1, 3),
        "f": st.integers(1, 3),
        "h": st.integers(3, 6),
        "w": st.integers(3, 6),
        "kh": st.integers(1, 3),
        "kw": st.integers(1, 3),
        "padding": st.integers(0, 2),
        "seed": st.integers(0, 2**16),
    }
)


@pytest.mark.points(1)
@settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(case=shapes)
def test_property_shapes(sub, tools, case):
    """Random sizes, kernels (1x1 to 3x3) and paddings (hypothesis): output and all gradients."""
    g = torch.Generator().manual_seed(case["seed"])
    x, W, b = data(g, case["n"], case["c"], case["h"], case["w"], case["f"], case["kh"], case["kw"])
    p = case["padding"]
    what = f" for x of shape {tuple(x.shape)}, W of shape {tuple(W.shape)} and padding={p}"
    grad_out = torch.randn(F.conv2d(x, W, b, padding=p).shape, generator=g, dtype=F64)
    out, (dx, dW, db) = backward(sub, tools, x, W, b, p, grad_out)
    check_forward(out, x, W, b, p, what)
    check_dx(dx, x, W, p, grad_out, what)
    check_dW(dW, x, W, b, p, grad_out, what)
    check_db(db, grad_out, what)


@pytest.mark.points(1)
def test_no_builtin_convolution(sub, tools, source, gen):
    """A working conv2d_forward/backward written without F.conv2d, torch.nn.grad or autograd."""
    names = ["conv2d_forward", "conv2d_backward"]
    for name in names:
        expect.true(source.definition(name) is not None, f"the notebook does not define {name}")
    x, W, b = data(gen, n=2, c=2, h=4, w=4, f=2, kh=3, kw=3)
    grad_out = torch.randn(2, 2, 4, 4, generator=gen, dtype=F64)
    out, (dx, dW, db) = backward(sub, tools, x, W, b, 1, grad_out)
    check_forward(out, x, W, b, 1, "")
    check_dx(dx, x, W, 1, grad_out)
    check_dW(dW, x, W, b, 1, grad_out)
    check_db(db, grad_out)
    used = tools.forbidden_used(source, names, tools.FORBIDDEN["conv2d"])
    expect.true(
        not used,
        "conv2d_forward / conv2d_backward use a built-in convolution or autograd "
        f"({', '.join(sorted(used))}); write the sums yourself",
    )
