"""Bug: dlogits forgets to subtract the one-hot labels."""

KIND = "bug"
REPLACE = [("softmax_ce_impl", "    dlogits[torch.arange(n), y] -= 1\n", "")]
EXPECT_FAIL = {"test_softmax_ce.py::test_backward": "one-hot term is missing"}
