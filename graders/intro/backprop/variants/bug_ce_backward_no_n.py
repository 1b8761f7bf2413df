"""Bug: dlogits is not divided by the batch size."""

KIND = "bug"
REPLACE = [("softmax_ce_impl", "return dlogits * grad_out / n", "return dlogits * grad_out")]
EXPECT_FAIL = {"test_softmax_ce.py::test_backward": "not divided by the batch size"}
