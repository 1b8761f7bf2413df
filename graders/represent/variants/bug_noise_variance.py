"""std is read as a variance: the noise is sqrt(std) * randn."""

KIND = "bug"
REPLACE = [
    ("augment_impl", "return x + std * noise", "return x + std**0.5 * noise"),
]
EXPECT_FAIL = {
    "test_augment.py::test_noise_matches_reference": "variance",
}
