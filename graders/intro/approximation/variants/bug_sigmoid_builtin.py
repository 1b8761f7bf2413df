"""Bug: the activations call PyTorch's own torch.sigmoid and torch.tanh."""

KIND = "bug"
REPLACE = [
    (
        "activations_impl",
        "    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))",
        "    return torch.sigmoid(x)",
    ),
    ("activations_impl", "return 2 * sigmoid(2 * x) - 1", "return torch.tanh(x)"),
]
EXPECT_FAIL = {"test_activations.py::test_no_builtin_activations": "PyTorch's own activations"}
