"""The upper bound of torch.randint is taken as inclusive: shifts never reach +max_shift."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "torch.randint(-max_shift, max_shift + 1, (n,)",
        "torch.randint(-max_shift, max(max_shift, 1), (n,)",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_shift_matches_reference": "never reach",
}
