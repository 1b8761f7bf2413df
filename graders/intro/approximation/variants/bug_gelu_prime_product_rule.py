"""Bug: gelu_tanh_prime forgets the product rule and keeps only (1 + tanh u) / 2."""

KIND = "bug"
REPLACE = [
    (
        "activations_impl",
        "return 0.5 * (1 + t) + 0.5 * x * (1 - t**2) * GELU_C * (1 + 3 * 0.044715 * x**2)",
        "return 0.5 * (1 + t)",
    )
]
EXPECT_FAIL = {"test_activations.py::test_derivatives_match_autograd": "product rule"}
