"""Task 3: sinusoidal_positional_encoding(max_len, d_model)."""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_positional_encoding")
MSG = "the positional encoding is wrong"


def closed_form(max_len, d):
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), entry by entry."""
    pe = torch.empty(max_len, d, dtype=torch.float64)
    for p in range(max_len):
        for i in range(d // 2):
            angle = p / 10000 ** (2 * i / d)
            pe[p, 2 * i] = math.sin(angle)
            pe[p, 2 * i + 1] = math.cos(angle)
    return pe


def named_defects(bugs, max_len, d):
    exponent = "the frequency exponent is wrong: pair i (columns 2i and 2i+1) uses 1/10000^(2i/d)"
    return {
        "sine and cosine are swapped: even columns are sin, odd columns are cos": (
            bugs.positional_encoding(max_len, d, "swapped")
        ),
        "sines and cosines must be interleaved (sin in column 2i, cos in column 2i+1), "
        "not concatenated in two halves": bugs.positional_encoding(max_len, d, "halves"),
        exponent + ", not 1/10000^(i/d)": bugs.positional_encoding(max_len, d, "half_exponent"),
        exponent + "; looping over even columns c = 2i, the exponent is c/d, not 2c/d": (
            bugs.positional_encoding(max_len, d, "double_exponent")
        ),
        exponent + ", and both columns of a pair share it": bugs.positional_encoding(
            max_len, d, "column_exponent"
        ),
        "positions must start at 0, not 1": bugs.positional_encoding(max_len, d, "from_one"),
    }


@pytest.mark.points(2)
def test_closed_form(sub, bugs):
    """Every entry equals sin/cos(p / 10000^(2i/d)) for max_len=40, d_model=16."""
    pe = sub.sinusoidal_positional_encoding(40, 16)
    expect.shape(pe, (40, 16), "the encoding must have shape (max_len, d_model)")
    expect.close(
        pe, closed_form(40, 16), MSG, rtol=1e-4, atol=1e-5, diagnoses=named_defects(bugs, 40, 16)
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_small_cases(sub, bugs):
    """Small sizes (d_model = 2, 6; one position) and a floating-point result."""
    for max_len, d in ((1, 2), (7, 2), (5, 6)):
        pe = expect.tensor(sub.sinusoidal_positional_encoding(max_len, d), "expected a tensor")
        expect.true(pe.is_floating_point(), f"the encoding must be a float tensor, got {pe.dtype}")
        expect.close(
            pe,
            closed_form(max_len, d),
            f"{MSG} for max_len={max_len}, d_model={d}",
            rtol=1e-4,
            atol=1e-5,
            diagnoses=named_defects(bugs, max_len, d),
        )
