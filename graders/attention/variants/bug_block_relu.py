"""Bug: the MLP uses ReLU instead of GELU."""

KIND = "bug"
REPLACE = [("block_impl", "nn.GELU(),", "nn.ReLU(),")]
EXPECT_FAIL = {"test_block.py::test_matches_reference": "ReLU"}
