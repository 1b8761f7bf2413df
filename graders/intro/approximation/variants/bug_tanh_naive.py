"""Bug: tanh from the textbook formula (e^x - e^-x) / (e^x + e^-x), which overflows."""

KIND = "bug"
REPLACE = [
    (
        "activations_impl",
        "return 2 * sigmoid(2 * x) - 1",
        "return (torch.exp(x) - torch.exp(-x)) / (torch.exp(x) + torch.exp(-x))",
    )
]
EXPECT_FAIL = {
    "test_activations.py::test_stable_for_large_inputs": "overflows",
    "test_activations.py::test_edge_points": "NaN or inf",
}
