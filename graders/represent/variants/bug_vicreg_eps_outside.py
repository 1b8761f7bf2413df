"""eps is added to the standard deviation instead of inside the root."""

KIND = "bug"
REPLACE = [
    ("vicreg_impl", "torch.sqrt(z.var(dim=0) + eps)", "torch.sqrt(z.var(dim=0)) + eps"),
]
EXPECT_FAIL = {
    "test_vicreg.py::test_variance_term": "eps is added to the standard deviation",
}
