"""max_softmax is the largest logit instead of the largest softmax probability."""

KIND = "bug"
REPLACE = [
    (
        "ood_scores_impl",
        "logits.detach().softmax(dim=1).amax(dim=1)",
        "logits.detach().amax(dim=1)",
    )
]
EXPECT_FAIL = {"test_ood_scores.py::test_max_softmax": "largest logit"}
