"""Bug: the new tokens get positions 0, 1, … instead of T_past, T_past + 1, …"""

KIND = "bug"
REPLACE = [
    (
        "kv_cache_impl",
        "x = model.tok_emb(idx) + model.pos_emb(positions)",
        "x = model.tok_emb(idx) + model.pos_emb(torch.arange(T, device=idx.device))",
    )
]
EXPECT_FAIL = {
    "test_kv_cache.py::test_one_token_at_a_time": "offset the positions by the cache length",
    "test_kv_cache.py::test_chunks": "instead of T_past",
}
