"""Task 3: dice_score(pred, target) and soft_dice_loss(logits, target, smooth=1.0).

Expected values come from the reference (`ref`, executed here); gradients from
torch.autograd on the reference.
"""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_dice")


def _masks(gen, shape, density):
    return torch.rand(shape, generator=gen) < density


def _dice_cases(gen):
    """Batches of binary masks with empty images, single pixels and overlaps."""
    a, b = _masks(gen, (7, 1, 5, 6), 0.3), _masks(gen, (7, 1, 5, 6), 0.3)
    a[0], b[0] = False, False  # both empty
    a[1], b[1] = False, False
    b[1, 0, 2, 3] = True  # one pixel in one mask only
    a[2], b[2] = False, False
    a[2, 0, 1, 1], b[2, 0, 1, 1] = True, True  # one common pixel
    b[3] = a[3]  # identical
    c, d = _masks(gen, (3, 2, 4, 4), 0.5), _masks(gen, (3, 2, 4, 4), 0.2)  # several channels
    e, f = _masks(gen, (4, 9, 7), 0.4), _masks(gen, (4, 9, 7), 0.4)  # (N, H, W)
    return [(a, b), (c, d), (e, f)]


@pytest.mark.points(2)
@pytest.mark.visible
def test_dice_score(sub, ref, bugs, gen):
    """One Dice score per image, for bool and 0/1 float masks of several shapes, with the
    empty-masks convention (1), a pixel in one mask only (0) and a single common pixel (1)."""
    for pred, target in _dice_cases(gen):
        expected = ref.dice_score(pred, target)
        for cast, what in ((lambda m: m, "bool"), (lambda m: m.float(), "float")):
            try:
                got = sub.dice_score(cast(pred), cast(target))
            except StudentError as exc:
                expect.fail(
                    f"dice_score on {what} masks of shape {tuple(pred.shape)} raised {exc.type}"
                )
            expect.close(
                got,
                expected,
                f"dice_score is wrong for {what} masks of shape {tuple(pred.shape)}",
                diagnoses={
                    "the score is pooled over the batch: compute one score per image "
                    "(sum over all dimensions but the first)": bugs.dice(pred, target, "pooled"),
                    "two empty masks must score 1": bugs.dice(pred, target, "empty_zero"),
                    "the factor 2 in 2|A∩B| is missing": bugs.dice(pred, target, "no_two"),
                    "this is the IoU |A∩B|/|A∪B|, not the Dice score": bugs.dice(
                        pred, target, "iou"
                    ),
                },
            )


def _soft_cases(gen):
    z1 = 2 * torch.randn(5, 1, 6, 6, generator=gen, dtype=torch.float64)
    y1 = _masks(gen, (5, 1, 6, 6), 0.3)
    y1[0] = False  # an empty target
    z2 = torch.randn(3, 2, 4, 5, generator=gen, dtype=torch.float64)
    y2 = _masks(gen, (3, 2, 4, 5), 0.5)
    return [(z1, y1), (z2, y2)]


def _soft_diagnoses(bugs, z, y, smooth):
    return {
        "the logits are used as probabilities: apply torch.sigmoid first": bugs.soft_dice(
            z, y, smooth, "no_sigmoid"
        ),
        "the Dice is pooled over the batch: compute it per image, then average": bugs.soft_dice(
            z, y, smooth, "pooled"
        ),
        "the denominator must use sum(p) + sum(y), not the sums of squares": bugs.soft_dice(
            z, y, smooth, "squared"
        ),
        "the smoothing constant must also be added to the denominator": bugs.soft_dice(
            z, y, smooth, "smooth_numerator"
        ),
        "the smoothing constant must also be added to the numerator": bugs.soft_dice(
            z, y, smooth, "smooth_denominator"
        ),
        "this is the soft Dice score, the loss is 1 minus it": bugs.soft_dice(
            z, y, smooth, "not_one_minus"
        ),
        "the loss is summed over the images: take the mean": bugs.soft_dice(z, y, smooth, "sum"),
    }


def _loss(sub, z, target, kwargs, backward, what):
    try:
        facts = sub.helpers.loss_facts(sub.soft_dice_loss, z, target, kwargs, backward)
    except StudentError as exc:
        expect.fail(f"soft_dice_loss with a {what} target raised {exc.type}")
    expect.true(facts["is_tensor"], "soft_dice_loss must return a tensor")
    expect.true(
        tuple(facts["shape"]) == (),
        f"soft_dice_loss must return a 0-dimensional tensor, got shape {tuple(facts['shape'])}",
    )
    return facts


@pytest.mark.points(2)
def test_soft_dice_value(sub, ref, bugs, gen):
    """soft_dice_loss equals the reference for the default smoothing and for
    smooth = 0.1 and 2.5, with float and bool targets."""
    for z, y in _soft_cases(gen):
        for smooth in (None, 0.1, 2.5):
            kwargs = {} if smooth is None else {"smooth": smooth}
            s = 1.0 if smooth is None else smooth
            for target, what in ((y.double(), "float"), (y, "bool")):
                facts = _loss(sub, z, target, kwargs, False, what)
                expect.true(
                    facts["dtype"] == "float64",
                    "soft_dice_loss must keep the dtype of the logits (float64 here)",
                )
                diagnoses = _soft_diagnoses(bugs, z, y.double(), s)
                expect.close(
                    facts["value"],
                    ref.soft_dice_loss(z, y.double(), **kwargs).reshape(-1),
                    f"soft_dice_loss is wrong (smooth={s}, {what} target)",
                    rtol=1e-7,
                    atol=1e-9,
                    diagnoses={k: v.reshape(-1) for k, v in diagnoses.items()},
                )


@pytest.mark.points(1)
def test_soft_dice_gradient(sub, ref, gen):
    """The gradient of soft_dice_loss with respect to the logits equals torch.autograd's
    gradient of the reference loss."""
    for z, y in _soft_cases(gen):
        y = y.double()
        for smooth in (1.0, 0.3):
            facts = _loss(sub, z, y, {"smooth": smooth}, True, "float")
            zz = z.clone().requires_grad_(True)
            (expected,) = torch.autograd.grad(ref.soft_dice_loss(zz, y, smooth=smooth), zz)
            expect.true(
                facts["grad"] is not None,
                "soft_dice_loss is not differentiable in the logits (no gradient reaches them)",
            )
            expect.close(
                facts["grad"],
                expected,
                "the gradient of soft_dice_loss with respect to the logits is wrong",
                rtol=1e-6,
                atol=1e-9,
            )
