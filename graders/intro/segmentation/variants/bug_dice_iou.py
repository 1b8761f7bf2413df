"""Bug: The IoU instead of the Dice score."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "return torch.where(total > 0, 2 * inter / total, torch.ones_like(total))",
        "return torch.where(total > 0, inter / (total - inter), torch.ones_like(total))",
    )
]
EXPECT_FAIL = {"test_dice.py::test_dice_score": "IoU"}
