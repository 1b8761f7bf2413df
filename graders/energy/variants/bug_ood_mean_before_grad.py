"""The gradient is taken of the batch mean of -E(x): every sample's gradient is divided by N."""

KIND = "bug"
REPLACE = [
    (
        "ood_scores_impl",
        "torch.autograd.grad(neg_energy.sum(), x_in)",
        "torch.autograd.grad(neg_energy.mean(), x_in)",
    )
]
EXPECT_FAIL = {"test_ood_scores.py::test_grad_norm": "averaged over the batch"}
