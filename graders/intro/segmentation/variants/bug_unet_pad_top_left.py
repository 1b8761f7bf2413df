"""Bug: The zero padding goes at the top and on the left."""

KIND = "bug"
REPLACE = [
    (
        "unet_impl",
        "F.pad(x, (0, skip.shape[-1] - x.shape[-1], 0, skip.shape[-2] - x.shape[-2]))",
        "F.pad(x, (skip.shape[-1] - x.shape[-1], 0, skip.shape[-2] - x.shape[-2], 0))",
    )
]
EXPECT_FAIL = {"test_unet.py::test_forward_odd_sizes": "top and on the left"}
