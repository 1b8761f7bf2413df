"""The covariance is computed from uncentred embeddings."""

KIND = "bug"
REPLACE = [
    ("vicreg_impl", "centred = z - z.mean(dim=0)", "centred = z"),
]
EXPECT_FAIL = {
    "test_vicreg.py::test_covariance_term": "not centred",
}
