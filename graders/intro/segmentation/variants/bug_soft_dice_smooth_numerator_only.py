"""Bug: The smoothing only in the numerator."""

KIND = "bug"
REPLACE = [("dice_impl", "/ (p.sum(1) + t.sum(1) + smooth)", "/ (p.sum(1) + t.sum(1))")]
EXPECT_FAIL = {"test_dice.py::test_soft_dice_value": "also be added to the denominator"}
