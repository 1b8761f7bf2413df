"""Bug (rule): the output comes from F.scaled_dot_product_attention."""

KIND = "bug"
REPLACE = [
    (
        "sdpa_impl",
        "    out = attn @ v\n",
        "    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)\n",
    )
]
EXPECT_FAIL = {"test_sdpa.py::test_no_builtin_attention": "built-in attention"}
