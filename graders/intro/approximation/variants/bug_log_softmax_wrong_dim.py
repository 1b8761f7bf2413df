"""Bug: log_softmax normalises over the first dimension."""

KIND = "bug"
REPLACE = [
    (
        "softmax_impl",
        "shifted = z - z.max(dim=-1, keepdim=True).values",
        "shifted = z - z.max(dim=0, keepdim=True).values",
    ),
    (
        "softmax_impl",
        "torch.exp(shifted).sum(dim=-1, keepdim=True)",
        "torch.exp(shifted).sum(dim=0, keepdim=True)",
    ),
]
EXPECT_FAIL = {"test_softmax.py::test_log_softmax_values": "wrong dimension"}
