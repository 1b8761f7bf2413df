"""Bug: The V-Net denominator with squares."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "/ (p.sum(1) + t.sum(1) + smooth)",
        "/ ((p * p).sum(1) + (t * t).sum(1) + smooth)",
    )
]
EXPECT_FAIL = {"test_dice.py::test_soft_dice_value": "sums of squares"}
