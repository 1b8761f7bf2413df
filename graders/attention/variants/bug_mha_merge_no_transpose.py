"""Bug: heads are merged by reshaping (B, H, Lq, head_dim) straight to (B, Lq, E)."""

KIND = "bug"
REPLACE = [
    (
        "mha_impl",
        "out = self.out_proj(out.transpose(1, 2).reshape(B, Lq, H * Dh))",
        "out = self.out_proj(out.reshape(B, Lq, H * Dh))",
    )
]
EXPECT_FAIL = {"test_mha.py::test_self_attention": "merged in the wrong order"}
