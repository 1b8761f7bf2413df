"""Bug: The up-sampled map is concatenated before the skip."""

KIND = "bug"
REPLACE = [("unet_impl", "torch.cat([skip, x], dim=1)", "torch.cat([x, skip], dim=1)")]
EXPECT_FAIL = {"test_unet.py::test_forward_even_sizes": "concatenated before the skip"}
