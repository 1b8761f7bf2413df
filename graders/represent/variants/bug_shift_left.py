"""The rows are rolled to the left (the index is j + shift)."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "(cols.unsqueeze(0) - shifts.unsqueeze(1))",
        "(cols.unsqueeze(0) + shifts.unsqueeze(1))",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_shift_matches_reference": "shifted to the left",
}
