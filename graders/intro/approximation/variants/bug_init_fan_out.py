"""Bug: the weights are scaled by sqrt(2 / fan_out)."""

KIND = "bug"
REPLACE = [("mlp_impl", "math.sqrt(2.0 / fan_in)", "math.sqrt(2.0 / fan_out)")]
EXPECT_FAIL = {"test_mlp.py::test_init_values": "fan_out"}
