"""Bug: Two empty masks give 0/0 = NaN."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "return torch.where(total > 0, 2 * inter / total, torch.ones_like(total))",
        "return 2 * inter / total",
    )
]
EXPECT_FAIL = {"test_dice.py::test_dice_score": "NaN"}
