"""The weight decay is applied to the bias too."""

KIND = "bug"
REPLACE = [
    (
        "probe_impl",
        "0.5 * weight_decay * weight.pow(2).sum()",
        "0.5 * weight_decay * (weight.pow(2).sum() + bias.pow(2).sum())",
    ),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_matches_reference": "bias too",
}
