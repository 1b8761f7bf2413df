"""Bug: the new keys and values are attended to but never appended to the returned cache."""

KIND = "bug"
REPLACE = [
    (
        "kv_cache_impl",
        "    return logits, new_cache",
        "    return logits, new_cache if cache is None else cache",
    )
]
EXPECT_FAIL = {
    "test_kv_cache.py::test_one_token_at_a_time": "append the new keys and values",
    "test_kv_cache.py::test_chunks": "append the new keys and values",
}
