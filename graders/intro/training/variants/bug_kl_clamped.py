"""Bug: q is clamped away from 0, so KL(p || q) is finite where it must be +inf."""

KIND = "bug"
REPLACE = [("information_impl",
            "return cross_entropy(p, q) - entropy(p)",
            "return cross_entropy(p, q.clamp_min(1e-12)) - entropy(p)")]  # fmt: skip
EXPECT_FAIL = {"test_information.py::test_zero_conventions": "must be +inf"}
