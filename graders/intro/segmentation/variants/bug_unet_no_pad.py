"""Bug: No padding: odd sizes crash in the concatenation."""

KIND = "bug"
REPLACE = [
    (
        "unet_impl",
        "            x = F.pad(x, (0, skip.shape[-1] - x.shape[-1], 0, skip.shape[-2] - x.shape[-2]))\n",
        "",
    )
]
EXPECT_FAIL = {"test_unet.py::test_forward_odd_sizes": "pad the up-sampled map"}
