"""Bug: The logits are used as probabilities."""

KIND = "bug"
REPLACE = [("dice_impl", "p = torch.sigmoid(logits).flatten(1)", "p = logits.flatten(1)")]
EXPECT_FAIL = {"test_dice.py::test_soft_dice_value": "apply torch.sigmoid"}
