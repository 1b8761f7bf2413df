"""Bug: heads are split by viewing (B, L, E) directly as (B, H, L, head_dim)."""

KIND = "bug"
REPLACE = [
    (
        "mha_impl",
        "q = self.q_proj(query).view(B, Lq, H, Dh).transpose(1, 2)",
        "q = self.q_proj(query).view(B, H, Lq, Dh)",
    ),
    (
        "mha_impl",
        "k = self.k_proj(key).view(B, Lk, H, Dh).transpose(1, 2)",
        "k = self.k_proj(key).view(B, H, Lk, Dh)",
    ),
    (
        "mha_impl",
        "v = self.v_proj(value).view(B, Lk, H, Dh).transpose(1, 2)",
        "v = self.v_proj(value).view(B, H, Lk, Dh)",
    ),
]
EXPECT_FAIL = {"test_mha.py::test_self_attention": "split in the wrong order"}
