"""Bug: the scores are not divided by √d_k."""

KIND = "bug"
REPLACE = [
    (
        "sdpa_impl",
        "scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)",
        "scores = q @ k.transpose(-2, -1)",
    )
]
EXPECT_FAIL = {
    "test_sdpa.py::test_matches_torch": "not scaled by 1/√d_k",
    "test_sdpa.py::test_boolean_mask": "not scaled by 1/√d_k",
}
