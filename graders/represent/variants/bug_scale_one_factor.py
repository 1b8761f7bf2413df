"""One amplitude factor for the whole batch."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "torch.rand(x.shape[0], generator=generator, dtype=x.dtype)",
        "torch.rand(1, generator=generator, dtype=x.dtype).expand(x.shape[0])",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_scale_matches_reference": "same factor",
}
