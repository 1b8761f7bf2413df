"""Bug: p * log(p) gives NaN for p_i = 0 (0 * -inf)."""

KIND = "bug"
REPLACE = [("information_impl", "return cross_entropy(p, p)",
            "return -(p * torch.log(p)).sum(-1)")]  # fmt: skip
EXPECT_FAIL = {"test_information.py::test_zero_conventions": "0 log 0 = 0"}
