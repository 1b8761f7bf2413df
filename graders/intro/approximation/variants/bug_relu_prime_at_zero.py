"""Bug: relu_prime(0) = 1 (x >= 0), not PyTorch's convention relu'(0) = 0."""

KIND = "bug"
REPLACE = [("activations_impl", "return (x > 0).to(x.dtype)", "return (x >= 0).to(x.dtype)")]
EXPECT_FAIL = {"test_activations.py::test_edge_points": "relu_prime(0) must be 0"}
