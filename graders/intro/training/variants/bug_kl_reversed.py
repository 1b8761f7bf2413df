"""Bug: kl_divergence(p, q) returns KL(q || p)."""

KIND = "bug"
REPLACE = [("information_impl",
            "return cross_entropy(p, q) - entropy(p)",
            "return cross_entropy(q, p) - entropy(q)")]  # fmt: skip
EXPECT_FAIL = {"test_information.py::test_kl_divergence": "this is KL(q || p)"}
