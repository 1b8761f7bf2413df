"""Task 4: UNet(in_channels=1, out_channels=1, base=8, depth=2).

The grader's random float64 weights are loaded by name into the submission's module and
into the reference (`ref.UNet`, executed here); outputs and input gradients of the two
are compared, the latter against torch.autograd on the reference.
"""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_unet")

CONFIGS = ({}, {"in_channels": 2, "out_channels": 3, "base": 3, "depth": 3})


def _run(sub, handle, x, what):
    try:
        out = sub.builtins.call_no_grad(handle, x)
    except StudentError as exc:
        expect.fail(f"UNet on an input of shape {tuple(x.shape)} raised {exc.type}{what}")
    return out


def _diagnoses(bugs, model, x):
    with torch.no_grad():
        return {
            "the up-sampled map is concatenated before the skip: use torch.cat([skip, up], dim=1)": (
                bugs.unet(model, x, "up_first")
            ),
            "the zero padding goes at the top and on the left: pad at the bottom and on "
            "the right, F.pad(u, (0, dW, 0, dH))": bugs.unet(model, x, "pad_top_left"),
            "the padding is split between both sides: pad only at the bottom and on the "
            "right, F.pad(u, (0, dW, 0, dH))": bugs.unet(model, x, "pad_centre"),
            "the up-sampled map is padded by replication: pad with zeros": bugs.unet(
                model, x, "pad_replicate"
            ),
            "the head must output logits (no ReLU)": bugs.unet(model, x, "head_relu"),
            "the head must output logits (no sigmoid)": bugs.unet(model, x, "head_sigmoid"),
        }


@pytest.mark.points(1)
@pytest.mark.visible
def test_structure(sub, ref):
    """UNet() and UNet(2, 3, base=3, depth=3) have exactly the reference's parameters:
    the names (enc, bottleneck, up, dec, head), their order and their shapes."""
    for config in CONFIGS:
        try:
            shapes = sub.helpers.param_shapes(sub.UNet(**config))
        except StudentError as exc:
            expect.fail(f"UNet({config}) raised {exc.type}")
        expected = {n: tuple(p.shape) for n, p in ref.UNet(**config).named_parameters()}
        missing = [n for n in expected if n not in shapes]
        expect.true(
            not missing,
            f"UNet({config}): parameters {missing[:4]} are missing (found {list(shapes)[:6]}...): "
            "use the attribute names and layers the notebook describes",
        )
        extra = [n for n in shapes if n not in expected]
        expect.true(not extra, f"UNet({config}): unexpected parameters {extra[:4]}")
        wrong = [n for n in expected if tuple(shapes[n]) != expected[n]]
        expect.true(
            not wrong,
            f"UNet({config}): parameters {wrong[:4]} have the wrong shape (check the channel "
            "widths base·2^level, the 2·c_level inputs of dec and the kernel sizes)",
        )
        expect.true(
            list(shapes) == list(expected),
            f"UNet({config}): the parameters are registered in another order than described",
        )


@pytest.mark.points(2)
@pytest.mark.visible
def test_forward_even_sizes(sub, ref, bugs, gen, unet_pair):
    """With the grader's weights, the logits equal the reference's for 16x16 and 8x24
    inputs (default U-Net, and one with depth 3)."""
    for config, shape in (({}, (2, 1, 16, 16)), ({}, (1, 1, 8, 24)), (CONFIGS[1], (1, 2, 16, 8))):
        handle, model, _ = unet_pair(sub, ref, gen, **config)
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            expected = model(x)
        out = _run(sub, handle, x, "")
        expect.close(
            out,
            expected,
            f"UNet({config}) gives wrong logits for an input of shape {shape}",
            diagnoses=_diagnoses(bugs, model, x),
        )


@pytest.mark.points(2)
def test_forward_odd_sizes(sub, ref, bugs, gen, unet_pair):
    """Odd and unequal sizes (13x17, 9x10, 7x8 with depth 3, the smallest 4x5): the output
    has the input's size and equals the reference (zero padding at the bottom/right)."""
    cases = (({}, (2, 1, 13, 17)), ({}, (1, 1, 9, 10)), ({}, (1, 1, 4, 5)))
    cases += ((CONFIGS[1], (1, 2, 11, 15)),)
    for config, shape in cases:
        handle, model, _ = unet_pair(sub, ref, gen, **config)
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            expected = model(x)
        out = _run(
            sub,
            handle,
            x,
            " (odd sizes: pad the up-sampled map with zeros to the size of its skip)",
        )
        out = expect.tensor(out, "UNet must return a tensor")
        expect.shape(
            out,
            tuple(expected.shape),
            f"UNet({config}) on an input of shape {shape}: the output must have the input's size",
        )
        expect.close(
            out,
            expected,
            f"UNet({config}) gives wrong logits for an input of odd size {shape}",
            diagnoses=_diagnoses(bugs, model, x),
        )


@pytest.mark.points(1)
def test_skip_connection_carries_the_input(sub, ref, gen, unet_pair):
    """With the last up-convolution zeroed, the output depends on the input only through
    the full-resolution skip: its gradient with respect to the input (at two pixels of an odd-sized input)
    equals torch.autograd's on the reference and is not zero."""
    for shape in ((1, 1, 11, 9),):
        handle, model, state = unet_pair(sub, ref, gen)
        last = f"up.{len(model.up) - 1}"
        for key in (f"{last}.weight", f"{last}.bias"):
            state[key] = torch.zeros_like(state[key])
        model.load_state_dict(state)
        sub.builtins.load_state_dict(handle, state)
        x = torch.randn(shape, generator=gen, dtype=torch.float64)
        for i, j in ((3, 4), (shape[2] - 1, shape[3] - 2)):
            grad_out = torch.zeros(shape, dtype=torch.float64)
            grad_out[0, 0, i, j] = 1.0
            try:
                _, grads = sub.builtins.vjp(handle, [x], grad_out)
            except StudentError as exc:
                expect.fail(f"backpropagating through UNet raised {exc.type}")
            xx = x.clone().requires_grad_(True)
            (expected,) = torch.autograd.grad(model(xx), xx, grad_out)
            expect.true(
                grads[0] is not None and bool(grads[0].abs().sum() > 0),
                "with the last up-convolution switched off, the output no longer depends on "
                "the input: the full-resolution skip connection is not used (concatenate the "
                "encoder's first output with the up-sampled map)",
            )
            expect.close(
                grads[0],
                expected,
                "the gradient of the output with respect to the input through the "
                "full-resolution skip connection is wrong",
            )
