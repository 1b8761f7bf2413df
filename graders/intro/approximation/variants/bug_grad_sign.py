"""Bug: Y - P instead of P - Y."""

KIND = "bug"
REPLACE = [("grad_impl", "    G = G / n\n", "    G = -G / n\n")]
EXPECT_FAIL = {"test_grad.py::test_matches_autograd": "the sign is wrong"}
