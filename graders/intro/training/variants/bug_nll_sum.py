"""Bug: the NLL is summed over the batch instead of averaged."""

KIND = "bug"
REPLACE = [("nll_impl", "return (torch.logsumexp(logits, dim=1) - picked).mean()",
            "return (torch.logsumexp(logits, dim=1) - picked).sum()")]  # fmt: skip
EXPECT_FAIL = {"test_nll.py::test_matches_cross_entropy": "not the sum"}
