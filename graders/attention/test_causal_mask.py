"""Task 2: causal_mask(L, device=None)."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_causal_mask")


def named_defects(bugs, L):
    return {
        "the diagonal is excluded: a position must be allowed to attend to itself": bugs.causal(
            L, "strict"
        ),
        "the mask is shifted by one: position i may see position i+1 (a future token)": bugs.causal(
            L, "ahead"
        ),
        "the mask is inverted or transposed: True must be on and below the diagonal "
        "(query i may attend to keys j ≤ i)": bugs.causal(L, "upper"),
        "the mask is inverted: True must mean 'may attend' (on and below the diagonal)": bugs.causal(
            L, "strict_upper"
        ),
    }


@pytest.mark.points(1)
@pytest.mark.visible
def test_values(sub, bugs):
    """causal_mask(6) is a bool tensor, True on and below the diagonal."""
    mask = expect.tensor(sub.causal_mask(6), "causal_mask must return a tensor")
    expect.true(
        mask.dtype == torch.bool,
        f"causal_mask must return a bool tensor (True = may attend), got {mask.dtype}",
    )
    expect.shape(mask, (6, 6), "causal_mask(L) must have shape (L, L)")
    expect.true(
        torch.equal(mask, bugs.causal(6)),
        next(
            (d for d, wrong in named_defects(bugs, 6).items() if torch.equal(mask, wrong)),
            "causal_mask must be True exactly where key j ≤ query i",
        ),
    )


@pytest.mark.points(1)
def test_sizes_and_device(sub, bugs):
    """L = 1 and L = 9 work, and the device argument is accepted."""
    for L in (1, 9):
        mask = expect.tensor(sub.causal_mask(L), "causal_mask must return a tensor")
        expect.true(
            mask.dtype == torch.bool and torch.equal(mask, bugs.causal(L)),
            f"causal_mask({L}) is wrong",
        )
    for device in ("cpu", torch.device("cpu")):
        mask = expect.tensor(sub.causal_mask(3, device=device), "causal_mask must return a tensor")
        expect.true(
            torch.equal(mask, bugs.causal(3)), "causal_mask(3, device=...) gives a different mask"
        )
