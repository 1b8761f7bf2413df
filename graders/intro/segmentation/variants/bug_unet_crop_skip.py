"""Bug: The skip is cropped to the up-sampled map instead of padding it."""

KIND = "bug"
REPLACE = [
    (
        "unet_impl",
        "            x = F.pad(x, (0, skip.shape[-1] - x.shape[-1], 0, skip.shape[-2] - x.shape[-2]))\n",
        "            skip = skip[..., : x.shape[-2], : x.shape[-1]]\n",
    )
]
EXPECT_FAIL = {"test_unet.py::test_forward_odd_sizes": "must have the input's size"}
