"""Bug: db is averaged over the batch instead of summed."""

KIND = "bug"
REPLACE = [("linear_impl", "db = grad_out.sum(dim=0)", "db = grad_out.mean(dim=0)")]
EXPECT_FAIL = {"test_linear.py::test_backward": "averaged over the batch"}
