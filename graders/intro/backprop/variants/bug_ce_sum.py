"""Bug: The loss sums over the batch instead of averaging."""

KIND = "bug"
REPLACE = [
    (
        "softmax_ce_impl",
        "loss = -log_probs[torch.arange(n), y].mean()",
        "loss = -log_probs[torch.arange(n), y].sum()",
    )
]
EXPECT_FAIL = {"test_softmax_ce.py::test_forward": "summed over the batch"}
