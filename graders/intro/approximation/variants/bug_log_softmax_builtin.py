"""Bug: log_softmax calls torch.log_softmax."""

KIND = "bug"
REPLACE = [
    (
        "softmax_impl",
        "    shifted = z - z.max(dim=-1, keepdim=True).values\n"
        "    return shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))",
        "    return torch.log_softmax(z, dim=-1)",
    )
]
EXPECT_FAIL = {"test_softmax.py::test_no_builtin_softmax": "torch's own softmax"}
