"""Bug: the entropy uses log base 2 (bits instead of nats)."""

KIND = "bug"
REPLACE = [("information_impl", "return cross_entropy(p, p)",
            "return -torch.special.xlogy(p, p).sum(-1) / math.log(2)")]  # fmt: skip
EXPECT_FAIL = {"test_information.py::test_entropy": "not log2"}
