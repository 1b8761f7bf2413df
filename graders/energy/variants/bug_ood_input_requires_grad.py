"""requires_grad is switched on for the caller's tensor x itself, not for a detached copy."""

KIND = "bug"
REPLACE = [
    ("ood_scores_impl", "x_in = x.detach().requires_grad_(True)", "x_in = x.requires_grad_(True)")
]
EXPECT_FAIL = {"test_ood_scores.py::test_leaves_model_and_input": "requires_grad on the caller"}
