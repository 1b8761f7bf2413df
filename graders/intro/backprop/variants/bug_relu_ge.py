"""Bug: ReLU's backward passes the gradient at x = 0 (x >= 0)."""

KIND = "bug"
REPLACE = [("relu_impl", "(x > 0)", "(x >= 0)")]
EXPECT_FAIL = {"test_relu.py::test_backward_at_zero": "x >= 0"}
