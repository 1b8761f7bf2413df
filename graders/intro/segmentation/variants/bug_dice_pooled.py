"""Bug: The Dice score is pooled over the whole batch."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "    inter = (p * t).sum(1)\n    total = p.sum(1) + t.sum(1)\n    return torch.where(total > 0, 2 * inter / total, torch.ones_like(total))",
        "    return (2 * (p * t).sum() / (p.sum() + t.sum())).expand(len(p))",
    )
]
EXPECT_FAIL = {"test_dice.py::test_dice_score": "pooled over the batch"}
