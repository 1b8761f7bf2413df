"""Bug: no mask, so the tokens of a chunk see each other's future (right for one token only)."""

KIND = "bug"
REPLACE = [
    (
        "kv_cache_impl",
        "out, _ = scaled_dot_product_attention(q, k, v, mask)",
        "out, _ = scaled_dot_product_attention(q, k, v)",
    )
]
EXPECT_FAIL = {
    "test_kv_cache.py::test_prefill": "see each other's future",
    "test_kv_cache.py::test_chunks": "see each other's future",
}
