"""Task 1: output lengths of convolution, pooling and transposed convolution.

Expected values are what PyTorch's own layers produce (run here, in the trusted process,
on a zero input of the given length), over many parameter combinations.
"""

import itertools

import pytest
import torch
from torch import nn

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_shapes")


def _torch_len(layer: nn.Module, n: int) -> int | None:
    """Output length of a 1-D layer on an input of length n (None where torch refuses)."""
    try:
        with torch.no_grad():
            return int(layer(torch.zeros(1, 1, n)).shape[-1])
    except (RuntimeError, ValueError):
        return None


def _calls(sub, fn_name: str, calls: list) -> list:
    try:
        out = sub.helpers.call_many(getattr(sub, fn_name), calls)
    except StudentError as exc:
        expect.fail(f"{fn_name} raised {exc.type} for valid layer parameters")
    expect.true(
        isinstance(out, list)
        and len(out) == len(calls)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in out),
        f"{fn_name} must return a Python int (use integer division //, not / or math.floor "
        "of a float, and no tensors)",
    )
    return out


def _judge(fn_name, got, expected, diagnoses):
    got, expected = torch.tensor(got), torch.tensor(expected)
    expect.close(
        got,
        expected,
        f"{fn_name} gives a different length than PyTorch's layer for "
        f"{int((got != expected).sum())} of {len(expected)} parameter combinations",
        atol=0,
        rtol=0,
        diagnoses={k: torch.tensor(v) for k, v in diagnoses.items()},
    )


def _conv_cases():
    cases = []
    for n, k, s, p, d in itertools.product(
        (1, 2, 5, 8, 11, 16), (1, 2, 3, 4, 5), (1, 2, 3), (0, 1, 2), (1, 2, 3)
    ):
        out = _torch_len(nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d), n)
        if out is not None:
            cases.append(((n, k, s, p, d), out))
    return cases


@pytest.mark.points(1)
@pytest.mark.visible
def test_conv_output_size(sub, bugs):
    """conv_output_size matches nn.Conv1d's output length for kernels 1-5, strides 1-3,
    padding 0-2 and dilation 1-3, and with the default stride, padding and dilation."""
    cases = _conv_cases()
    calls = [((n, k), {"stride": s, "padding": p, "dilation": d}) for (n, k, s, p, d), _ in cases]
    defaults = [c for c in cases if c[0][2:] == (1, 0, 1)]
    calls += [((n, k), {}) for (n, k, *_), _ in defaults]
    expected = [out for _, out in cases] + [out for _, out in defaults]
    params = [c[0] for c in cases] + [c[0] for c in defaults]
    got = _calls(sub, "conv_output_size", calls)
    _judge(
        "conv_output_size",
        got,
        expected,
        {
            "the dilation is ignored: a dilated kernel spans d(k-1)+1 pixels": [
                bugs.conv_size(*q, defect="no_dilation") for q in params
            ],
            "the padding is added on both sides: use n + 2p": [
                bugs.conv_size(*q, defect="one_side") for q in params
            ],
            "the +1 after the division is missing": [
                bugs.conv_size(*q, defect="no_plus_one") for q in params
            ],
            "the kernel spans d(k-1)+1 pixels, not d·k": [
                bugs.conv_size(*q, defect="dk") for q in params
            ],
        },
    )


@pytest.mark.points(1)
def test_pool_output_size(sub, bugs):
    """pool_output_size matches nn.MaxPool1d (floor mode), with stride None meaning the
    kernel size, for several kernels, strides, paddings and dilations."""
    cases = []
    for n, k, s, p, d in itertools.product(
        (2, 5, 9, 12), (1, 2, 3, 4), (None, 1, 2, 3), (0, 1, 2), (1, 2)
    ):
        out = _torch_len(nn.MaxPool1d(k, stride=s, padding=p, dilation=d), n)
        if out is not None:
            cases.append(((n, k, s, p, d), out))
    calls = [((n, k), {"stride": s, "padding": p, "dilation": d}) for (n, k, s, p, d), _ in cases]
    defaults = [c for c in cases if c[0][2:] == (None, 0, 1)]
    calls += [((n, k), {}) for (n, k, *_), _ in defaults]
    expected = [out for _, out in cases] + [out for _, out in defaults]
    params = [c[0] for c in cases] + [c[0] for c in defaults]
    got = _calls(sub, "pool_output_size", calls)
    _judge(
        "pool_output_size",
        got,
        expected,
        {
            "stride=None must mean stride = kernel_size (PyTorch's default for pooling)": [
                bugs.conv_size(n, k, 1 if s is None else s, p, d) for n, k, s, p, d in params
            ],
        },
    )


@pytest.mark.points(1)
def test_conv_transpose_output_size(sub, bugs):
    """conv_transpose_output_size matches nn.ConvTranspose1d for kernels 1-4, strides 1-3,
    padding 0-2, every valid output_padding and dilation 1-2, and with the defaults."""
    cases = []
    for n, k, s, p, d in itertools.product(
        (1, 2, 4, 7, 10), (1, 2, 3, 4), (1, 2, 3), (0, 1, 2), (1, 2)
    ):
        for op in range(max(s, d)):
            layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d)
            out = _torch_len(layer, n)
            if out is not None and out > 0:
                cases.append(((n, k, s, p, op, d), out))
    calls = [
        ((n, k), {"stride": s, "padding": p, "output_padding": op, "dilation": d})
        for (n, k, s, p, op, d), _ in cases
    ]
    defaults = [c for c in cases if c[0][2:] == (1, 0, 0, 1)]
    calls += [((n, k), {}) for (n, k, *_), _ in defaults]
    expected = [out for _, out in cases] + [out for _, out in defaults]
    params = [c[0] for c in cases] + [c[0] for c in defaults]
    got = _calls(sub, "conv_transpose_output_size", calls)
    _judge(
        "conv_transpose_output_size",
        got,
        expected,
        {
            "output_padding is ignored: it adds p_out to the length": [
                bugs.conv_transpose_size(*q, defect="no_output_padding") for q in params
            ],
            "the dilation is ignored: the kernel spans d(k-1)+1 pixels": [
                bugs.conv_transpose_size(*q, defect="no_dilation") for q in params
            ],
            "the padding removes 2p (p on each side)": [
                bugs.conv_transpose_size(*q, defect="one_side") for q in params
            ],
            "the length starts from (n - 1)·s, not n·s": [
                bugs.conv_transpose_size(*q, defect="ns") for q in params
            ],
        },
    )
