"""Bug: the gradient of the summed NLL (no 1/N)."""

KIND = "bug"
REPLACE = [("grad_impl", "    G = G / n\n", "")]
EXPECT_FAIL = {"test_grad.py::test_matches_autograd": "missing 1/N"}
