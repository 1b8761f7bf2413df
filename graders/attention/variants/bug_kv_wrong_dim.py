"""Bug: the cache is concatenated along the heads axis (dim 1) instead of time (dim 2)."""

KIND = "bug"
REPLACE = [
    (
        "kv_cache_impl",
        "k = torch.cat([cache[layer][0], k], dim=2)",
        "k = torch.cat([cache[layer][0], k], dim=1)",
    ),
    (
        "kv_cache_impl",
        "v = torch.cat([cache[layer][1], v], dim=2)",
        "v = torch.cat([cache[layer][1], v], dim=1)",
    ),
]
EXPECT_FAIL = {
    "test_kv_cache.py::test_one_token_at_a_time": "along the time axis",
    "test_kv_cache.py::test_chunks": "along the time axis",
}
