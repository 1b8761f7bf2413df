"""Bug: softplus as log(1 + exp(x)), inf for large x."""

KIND = "bug"
REPLACE = [
    (
        "activations_impl",
        "return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))",
        "return torch.log(1 + torch.exp(x))",
    )
]
EXPECT_FAIL = {"test_activations.py::test_stable_for_large_inputs": "softplus overflows"}
