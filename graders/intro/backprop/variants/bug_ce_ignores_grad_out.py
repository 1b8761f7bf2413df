"""Bug: softmax_ce_backward ignores grad_out."""

KIND = "bug"
REPLACE = [("softmax_ce_impl", "return dlogits * grad_out / n", "return dlogits / n")]
EXPECT_FAIL = {"test_softmax_ce.py::test_backward": "grad_out is ignored"}
