"""The probe returns softmax probabilities instead of logits."""

KIND = "bug"
REPLACE = [
    (
        "probe_impl",
        "return (test_z - mean) / std @ weight.T + bias",
        "return torch.softmax((test_z - mean) / std @ weight.T + bias, dim=1)",
    ),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_matches_reference": "probabilities",
}
