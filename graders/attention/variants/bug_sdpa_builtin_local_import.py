"""Bug (rule): torch's attention imported under another name inside the function."""

KIND = "bug"
REPLACE = [
    (
        "sdpa_impl",
        "    out = attn @ v\n",
        "    from torch.nn.functional import scaled_dot_product_attention as fused\n\n"
        "    out = fused(q, k, v, attn_mask=mask)\n",
    )
]
EXPECT_FAIL = {"test_sdpa.py::test_no_builtin_attention": "built-in attention"}
