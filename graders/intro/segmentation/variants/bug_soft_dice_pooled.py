"""Bug: The soft Dice is pooled over the batch."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "    dice = (2 * (p * t).sum(1) + smooth) / (p.sum(1) + t.sum(1) + smooth)",
        "    dice = (2 * (p * t).sum() + smooth) / (p.sum() + t.sum() + smooth)",
    )
]
EXPECT_FAIL = {"test_dice.py::test_soft_dice_value": "pooled over the batch"}
