"""Bug: the weights are plain N(0, 1) draws, never scaled by sqrt(2 / fan_in)."""

KIND = "bug"
REPLACE = [
    (
        "mlp_impl",
        "W = (noise * math.sqrt(2.0 / fan_in)).requires_grad_()",
        "W = noise.requires_grad_()",
    )
]
EXPECT_FAIL = {"test_mlp.py::test_init_values": "not scaled"}
