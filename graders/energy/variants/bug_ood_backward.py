"""The gradient is taken with .backward(), which also accumulates into the parameters' .grad."""

KIND = "bug"
REPLACE = [
    (
        "ood_scores_impl",
        "(grad,) = torch.autograd.grad(neg_energy.sum(), x_in)",
        "neg_energy.sum().backward()\n            grad = x_in.grad",
    )
]
EXPECT_FAIL = {"test_ood_scores.py::test_leaves_model_and_input": ".grad of the model's parameters"}
