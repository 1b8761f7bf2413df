"""The test features are standardised with their own statistics."""

KIND = "bug"
REPLACE = [
    (
        "probe_impl",
        "return (test_z - mean) / std @ weight.T + bias",
        "return (test_z - test_z.mean(dim=0)) / test_z.std(dim=0, unbiased=False) @ weight.T + bias",
    ),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_matches_reference": "their own statistics",
}
