"""Bug: The probabilities are detached, so no gradient reaches the logits."""

KIND = "bug"
REPLACE = [
    (
        "dice_impl",
        "p = torch.sigmoid(logits).flatten(1)",
        "p = torch.sigmoid(logits.detach()).flatten(1)",
    )
]
EXPECT_FAIL = {"test_dice.py::test_soft_dice_gradient": "not differentiable"}
