"""Bug: ReLU's backward returns the mask, not grad_out times the mask."""

KIND = "bug"
REPLACE = [
    (
        "relu_impl",
        "return grad_out * (x > 0).to(grad_out.dtype)",
        "return (x > 0).to(grad_out.dtype)",
    )
]
EXPECT_FAIL = {"test_relu.py::test_backward": "not multiplied in"}
