"""Bug: conv2d_forward calls F.conv2d."""

KIND = "bug"
REPLACE = [
    (
        "conv2d_impl",
        'out = torch.einsum("nchwij,fcij->nfhw", patches, W) + b.view(1, -1, 1, 1)',
        "out = F.conv2d(x, W, b, padding=padding)",
    )
]
EXPECT_FAIL = {"test_conv2d.py::test_no_builtin_convolution": "built-in convolution"}
