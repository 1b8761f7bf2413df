"""Bug: nll sums the negative log-likelihoods instead of averaging them."""

KIND = "bug"
REPLACE = [("softmax_impl", "y.unsqueeze(1)).mean()", "y.unsqueeze(1)).sum()")]
EXPECT_FAIL = {"test_softmax.py::test_nll": "summed, not averaged"}
