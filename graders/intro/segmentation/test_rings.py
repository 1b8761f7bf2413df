"""Task 2: make_rings(n, size, generator=None) -> (images, masks, params).

The masks are verified geometrically against the params the submission returns (pixels
within 1e-3 of a circle are not judged: rounding decides them), the params against the
stated uniform ranges, the images against the stated intensities and Gaussian noise.
"""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_rings")

LOW = (0.4, 0.4, 0.12, 0.08)  # times size, for cy, cx, r, t
HIGH = (0.6, 0.6, 0.22, 0.14)
SIGMA = (0.05, 0.2)
NAMES = ("c_y", "c_x", "r", "t", "σ")
EDGE = 1e-3


def _rings(sub, n, size, seed):
    try:
        out = sub.make_rings(n, size, generator=sub.new_generator(seed))
    except StudentError as exc:
        expect.fail(f"make_rings({n}, {size}, generator=...) raised {exc.type}")
    expect.true(
        isinstance(out, (tuple, list)) and len(out) == 3,
        "make_rings must return a tuple (images, masks, params)",
    )
    images, masks, params = out
    for value, shape, what in (
        (images, (n, 1, size, size), "images"),
        (masks, (n, 1, size, size), "masks"),
        (params, (n, 5), "params"),
    ):
        expect.shape(value, shape, f"make_rings({n}, {size}): {what}")
        expect.true(value.dtype == torch.float32, f"{what} must be float32, got {value.dtype}")
    return images.double(), masks.double(), params.double()


def _geometry(params, size):
    """rho (n, size, size) and the boundaries' distances, from the returned params."""
    cy, cx, r, t = (params[:, i].view(-1, 1, 1) for i in range(4))
    ii = torch.arange(size, dtype=torch.float64).view(1, size, 1)
    jj = torch.arange(size, dtype=torch.float64).view(1, 1, size)
    rho = torch.sqrt((ii - cy) ** 2 + (jj - cx) ** 2)
    sure = ((rho - r).abs() > EDGE) & ((rho - r - t).abs() > EDGE)
    return rho, r, t, sure


def _mask_diagnosis(masks, params, size):
    """Which typical geometric mistake the masks show (checked on sure pixels)."""
    swapped = params[:, [1, 0, 2, 3]]
    candidates = {
        "the mask is the whole disc: the blood pool (ρ < r) must be excluded": lambda rho, r, t: (
            rho < r + t
        ),
        "the mask is the blood pool, not the myocardium ring r ≤ ρ < r + t": lambda rho, r, t: (
            rho < r
        ),
        "the outer radius is t, it must be r + t (t is the thickness)": lambda rho, r, t: (
            (rho >= r) & (rho < t)
        ),
    }
    for defect, rule in candidates.items():
        rho, r, t, sure = _geometry(params, size)
        if bool(((masks[:, 0] > 0.5) == rule(rho, r, t))[sure].all()):
            return defect
    rho, r, t, sure = _geometry(swapped, size)
    if bool(((masks[:, 0] > 0.5) == ((rho >= r) & (rho < r + t)))[sure].all()):
        return "rows and columns are swapped: c_y is the row (first image axis), c_x the column"
    return None


@pytest.mark.points(2)
@pytest.mark.visible
def test_masks_match_geometry(sub, seed):
    """For even and odd sizes, every mask pixel is 1 exactly where r ≤ ρ < r + t for the
    image's own (c_y, c_x, r, t), and 0 elsewhere."""
    for n, size in ((48, 24), (8, 31), (4, 17)):
        _, masks, params = _rings(sub, n, size, seed + size)
        expect.true(bool(((masks == 0) | (masks == 1)).all()), "mask values must be exactly 0 or 1")
        rho, r, t, sure = _geometry(params, size)
        ring = (rho >= r) & (rho < r + t)
        wrong = ((masks[:, 0] > 0.5) != ring) & sure
        if bool(wrong.any()):
            defect = _mask_diagnosis(masks, params, size)
            expect.fail(
                f"make_rings({n}, {size}): the masks do not match the params you return "
                f"({int(wrong.sum())} pixels differ from the ring r ≤ ρ < r + t)"
                + (f": {defect}" if defect else "")
            )


@pytest.mark.points(1)
def test_params_are_uniform_in_range(sub, seed):
    """Over 400 images every parameter lies in its stated range, covers it (minimum and
    maximum near the ends, mean near the middle), and the five are drawn independently."""
    size = 20
    _, _, params = _rings(sub, 400, size, seed)
    lows = [v * size for v in LOW] + [SIGMA[0]]
    highs = [v * size for v in HIGH] + [SIGMA[1]]
    for i, (name, lo, hi) in enumerate(zip(NAMES, lows, highs)):
        col, span = params[:, i], hi - lo
        expect.true(
            bool(((col >= lo - 1e-4) & (col <= hi + 1e-4)).all()),
            f"{name} leaves its range (size {size}): see the table of the notebook",
        )
        expect.true(
            col.min().item() <= lo + 0.05 * span
            and col.max().item() >= hi - 0.05 * span
            and abs(col.mean().item() - (lo + hi) / 2) <= 0.1 * span,
            f"{name} does not cover its range uniformly: draw it uniformly from the stated range",
        )
    corr = torch.corrcoef(params.T.float()).double()
    off = corr - torch.diag(torch.diag(corr))
    expect.true(
        bool((off.abs() < 0.3).all()),
        "the parameters are not drawn independently (two of them are strongly correlated)",
    )


@pytest.mark.points(1)
def test_images_intensity_and_noise(sub, seed):
    """Away from the circles, image = 1 in the pool, 0.5 on the ring, 0 outside, plus
    Gaussian noise whose standard deviation is the image's σ."""
    n, size = 24, 32
    images, masks, params = _rings(sub, n, size, seed)
    rho, r, t, sure = _geometry(params, size)
    clean = 1.0 * (rho < r) + 0.5 * ((rho >= r) & (rho < r + t))
    res = images[:, 0] - clean
    sigma = params[:, 4]
    count = sure.flatten(1).sum(1)
    mean = (res * sure).flatten(1).sum(1) / count
    std = (((res - mean.view(-1, 1, 1)) ** 2 * sure).flatten(1).sum(1) / count).sqrt()
    expect.true(
        bool((mean.abs() < 0.02 + 4 * sigma / count.sqrt()).all()),
        "the image intensities are wrong: 1.0 in the blood pool, 0.5 on the myocardium, "
        "0 in the background, plus zero-mean noise",
    )
    expect.true(
        bool(((std / sigma - 1).abs() < 0.15).all()),
        "the noise of an image must have standard deviation σ, the params' fifth column "
        "for that image (σ·ε with ε ~ N(0, 1), one σ per image)",
    )
    z = (res / sigma.view(-1, 1, 1))[sure]
    tail = (z.abs() > 2).double().mean().item()
    gauss = math.erfc(2 / math.sqrt(2))
    expect.true(
        abs(tail - gauss) < 0.015,
        "the noise is not Gaussian (use torch.randn, not torch.rand)",
    )
    corr = (z.view(-1)[:-1] * z.view(-1)[1:]).mean().item()
    expect.true(abs(corr) < 0.1, "the noise must be independent from pixel to pixel")


@pytest.mark.points(1)
def test_generator(sub, seed):
    """Every draw comes from the generator: the same seed gives the same data under any
    global random state, another seed other data, and the global generator is untouched."""
    try:
        runs = sub.helpers.twice_with_generator(sub.make_rings, [6, 12], seed)
    except StudentError as exc:
        expect.fail(f"make_rings with a generator raised {exc.type}")
    first, second, other = runs["first"], runs["second"], runs["other"]
    for a, b, what in zip(first, second, ("images", "masks", "params")):
        expect.true(
            expect.is_close(a, b, 0, 0),
            f"make_rings with the same generator seed gave different {what}: draw every "
            "random number from `generator`, not from torch's global generator",
        )
    expect.true(
        not expect.is_close(first[0], other[0], 0, 0)
        and not expect.is_close(first[2], other[2], 0, 0),
        "make_rings gives the same images and params for different generator seeds",
    )
    expect.true(
        torch.equal(runs["global_state"], torch.Generator().manual_seed(5).get_state()),
        "make_rings changed torch's global random state: use only `generator`",
    )
