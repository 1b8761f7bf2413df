"""The similarities are multiplied by the temperature."""

KIND = "bug"
REPLACE = [
    ("nt_xent_impl", "sim = u @ u.T / temperature", "sim = u @ u.T * temperature"),
]
EXPECT_FAIL = {
    "test_nt_xent.py::test_matches_reference": "multiplied by the temperature",
}
