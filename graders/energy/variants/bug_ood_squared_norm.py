"""grad_norm is the squared L2 norm of each sample's gradient."""

KIND = "bug"
REPLACE = [
    (
        "ood_scores_impl",
        "grad.flatten(start_dim=1).norm(dim=1)",
        "grad.flatten(start_dim=1).pow(2).sum(dim=1)",
    )
]
EXPECT_FAIL = {"test_ood_scores.py::test_grad_norm": "squared norm"}
