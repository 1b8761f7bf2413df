"""One shift is drawn for the whole batch."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "shifts = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator).to(x.device)",
        "shifts = torch.randint(-max_shift, max_shift + 1, (1,), generator=generator).to(x.device).expand(n)",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_shift_matches_reference": "same shift",
}
