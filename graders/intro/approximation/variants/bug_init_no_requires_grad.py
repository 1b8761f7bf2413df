"""Bug: the parameters do not require grad (the optimiser would see no gradients)."""

KIND = "bug"
REPLACE = [
    (
        "mlp_impl",
        "W = (noise * math.sqrt(2.0 / fan_in)).requires_grad_()",
        "W = noise * math.sqrt(2.0 / fan_in)",
    ),
    (
        "mlp_impl",
        "b = torch.zeros(fan_out, dtype=dtype, device=device).requires_grad_()",
        "b = torch.zeros(fan_out, dtype=dtype, device=device)",
    ),
]
EXPECT_FAIL = {"test_mlp.py::test_init_leaves_and_dtype": "requires_grad=True"}
