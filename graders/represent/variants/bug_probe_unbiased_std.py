"""The standard deviation is unbiased."""

KIND = "bug"
REPLACE = [
    ("probe_impl", "std = train_z.std(dim=0, unbiased=False)", "std = train_z.std(dim=0)"),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_matches_reference": "unbiased",
}
