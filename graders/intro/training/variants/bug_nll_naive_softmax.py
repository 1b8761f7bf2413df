"""Bug: log of a hand-made softmax overflows for large logits."""

KIND = "bug"
REPLACE = [("nll_impl",
            """    picked = logits.gather(1, targets[:, None]).squeeze(1)
    return (torch.logsumexp(logits, dim=1) - picked).mean()""",
            """    probs = torch.exp(logits) / torch.exp(logits).sum(1, keepdim=True)
    return -torch.log(probs[torch.arange(len(targets)), targets]).mean()""")]  # fmt: skip
EXPECT_FAIL = {"test_nll.py::test_large_logits_are_stable": "log-sum-exp"}
