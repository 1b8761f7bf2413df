"""The covariance term includes the diagonal."""

KIND = "bug"
REPLACE = [
    ("vicreg_impl", "off_diagonal = cov - torch.diag(torch.diagonal(cov))", "off_diagonal = cov"),
]
EXPECT_FAIL = {
    "test_vicreg.py::test_covariance_term": "includes the diagonal",
}
