"""Bug: A true convolution (flipped kernel) instead of the cross-correlation."""

KIND = "bug"
REPLACE = [
    (
        "conv2d_impl",
        'out = torch.einsum("nchwij,fcij->nfhw", patches, W)',
        'out = torch.einsum("nchwij,fcij->nfhw", patches, W.flip(2, 3))',
    )
]
EXPECT_FAIL = {"test_conv2d.py::test_forward": "kernel is flipped"}
