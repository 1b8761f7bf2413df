"""Bug: cosines on the even columns, sines on the odd ones."""

KIND = "bug"
REPLACE = [
    (
        "positional_encoding_impl",
        "pe[:, 0::2] = torch.sin(angle)",
        "pe[:, 0::2] = torch.cos(angle)",
    ),
    (
        "positional_encoding_impl",
        "pe[:, 1::2] = torch.cos(angle)",
        "pe[:, 1::2] = torch.sin(angle)",
    ),
]
EXPECT_FAIL = {
    "test_positional_encoding.py::test_closed_form": "swapped",
    "test_positional_encoding.py::test_small_cases": "swapped",
}
