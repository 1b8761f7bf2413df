"""Timestep embedding frequencies with exponent i/(half − 1)."""

KIND = "bug"
REPLACE = [("network_impl", "device=t.device) / half)", "device=t.device) / (half - 1))")]
EXPECT_FAIL = {"test_network.py::test_embedding_values": "half − 1"}
