"""The standardisation is done in place, on the caller's tensor."""

KIND = "bug"
REPLACE = [
    ("probe_impl", "x = (train_z - mean) / std", "x = train_z.sub_(mean).div_(std)"),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_inputs_unchanged_and_float32": "in place",
}
