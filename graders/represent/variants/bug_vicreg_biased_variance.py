"""The variance of the hinge is biased (divided by n)."""

KIND = "bug"
REPLACE = [
    (
        "vicreg_impl",
        "torch.sqrt(z.var(dim=0) + eps)",
        "torch.sqrt(z.var(dim=0, unbiased=False) + eps)",
    ),
]
EXPECT_FAIL = {
    "test_vicreg.py::test_variance_term": "biased",
}
