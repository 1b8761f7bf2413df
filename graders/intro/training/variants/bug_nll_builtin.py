"""Bug (rule): nll_from_logits calls F.cross_entropy."""

KIND = "bug"
REPLACE = [("nll_impl",
            """    picked = logits.gather(1, targets[:, None]).squeeze(1)
    return (torch.logsumexp(logits, dim=1) - picked).mean()""",
            "    return F.cross_entropy(logits, targets)")]  # fmt: skip
EXPECT_FAIL = {"test_nll.py::test_large_logits_are_stable": "F.cross_entropy"}
