"""Bug: the gradient is taken with autograd instead of the formula."""

KIND = "bug"
CELLS = {
    "grad_impl": '''
def softmax_regression_grad(
    W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients (dW, db) of nll(X @ W + b, y) with respect to W (D, C) and b (C,)."""
    W = W.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = nll(X @ W + b, y)
        dW, db = torch.autograd.grad(loss, (W, b))
    return dW, db
'''
}
EXPECT_FAIL = {"test_grad.py::test_no_autograd": "uses autograd"}
