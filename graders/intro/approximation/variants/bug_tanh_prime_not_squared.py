"""Bug: tanh_prime returns 1 - tanh(x) instead of 1 - tanh(x)^2."""

KIND = "bug"
REPLACE = [("activations_impl", "return 1 - tanh(x) ** 2", "return 1 - tanh(x)")]
EXPECT_FAIL = {"test_activations.py::test_derivatives_match_autograd": "not 1 - tanh(x)^2"}
