"""Bug: cross_entropy(p, q) computes -Σ q log p (arguments swapped)."""

KIND = "bug"
REPLACE = [("information_impl", "return -torch.special.xlogy(p, q).sum(-1)",
            "return -torch.special.xlogy(q, p).sum(-1)")]  # fmt: skip
EXPECT_FAIL = {"test_information.py::test_cross_entropy": "arguments are swapped"}
