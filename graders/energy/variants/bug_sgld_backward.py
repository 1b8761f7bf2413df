"""The gradient is taken with .backward(), which also fills the model's parameter grads."""

KIND = "bug"
REPLACE = [
    (
        "sgld_step_impl",
        "(grad,) = torch.autograd.grad(energy_fn(x_in).sum(), x_in)",
        "energy_fn(x_in).sum().backward()\n        grad = x_in.grad",
    )
]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_leaves_parameter_grads": "torch.autograd.grad",
    "test_sgld_sample.py::test_sample_detached_and_keeps_x0": "filled the .grad",
}
