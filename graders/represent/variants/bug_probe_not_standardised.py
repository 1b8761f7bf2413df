"""The probe is fitted on the raw features."""

KIND = "bug"
REPLACE = [
    ("probe_impl", "x = (train_z - mean) / std", "x = train_z"),
    (
        "probe_impl",
        "return (test_z - mean) / std @ weight.T + bias",
        "return test_z @ weight.T + bias",
    ),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_matches_reference": "not standardised",
}
