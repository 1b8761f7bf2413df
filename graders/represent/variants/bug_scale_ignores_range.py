"""The factors are drawn in [0, 1): low and high are ignored."""

KIND = "bug"
REPLACE = [
    ("augment_impl", "factor = low + (high - low) * torch.rand(", "factor = torch.rand("),
]
EXPECT_FAIL = {
    "test_augment.py::test_scale_matches_reference": "ignore low and high",
}
