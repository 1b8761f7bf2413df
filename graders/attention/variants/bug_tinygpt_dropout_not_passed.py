"""Bug: TinyGPT's dropout is applied to the embeddings but never passed on to the blocks."""

KIND = "bug"
REPLACE = [
    (
        "tinygpt_impl",
        "TransformerBlock(embed_dim, num_heads, dropout=dropout)",
        "TransformerBlock(embed_dim, num_heads)",
    )
]
EXPECT_FAIL = {"test_tinygpt.py::test_dropout": "does not reach block 0"}
