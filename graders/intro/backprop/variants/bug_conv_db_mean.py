"""Bug: db averages grad_out instead of summing it."""

KIND = "bug"
REPLACE = [("conv2d_impl", "db = grad_out.sum(dim=(0, 2, 3))", "db = grad_out.mean(dim=(0, 2, 3))")]
EXPECT_FAIL = {"test_conv2d.py::test_grad_bias": "averaged instead of summed"}
