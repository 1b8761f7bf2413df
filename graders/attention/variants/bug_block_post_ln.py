"""Bug: post-LN block, LayerNorm after each residual addition."""

KIND = "bug"
REPLACE = [
    (
        "block_impl",
        "x = x + self.dropout(self.attn(self.ln1(x), mask=mask))",
        "x = self.ln1(x + self.dropout(self.attn(x, mask=mask)))",
    ),
    (
        "block_impl",
        "x = x + self.dropout(self.mlp(self.ln2(x)))",
        "x = self.ln2(x + self.dropout(self.mlp(x)))",
    ),
]
EXPECT_FAIL = {
    "test_block.py::test_matches_reference": "post-LN",
    "test_block.py::test_with_mask_and_ratio": "post-LN",
}
