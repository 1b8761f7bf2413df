"""Correct: the reference plus the student's own top-level checks against torch's built-in
attention (the notebook allows them), whose names `out`, `attn` match locals of the graded
functions."""

KIND = "correct"
REPLACE = [
    (
        "sdpa_impl",
        "    out = attn @ v\n    return out, attn",
        "    out = attn @ v\n    return out, attn\n\n\n"
        "# my own test: compare with torch's built-in attention\n"
        "q = k = v = torch.randn(2, 3, 4)\n"
        "out = F.scaled_dot_product_attention(q, k, v)\n"
        "assert torch.allclose(out, scaled_dot_product_attention(q, k, v)[0], atol=1e-5)\n",
    ),
    (
        "mha_impl",
        "        return (out, attn) if return_attention else out",
        "        return (out, attn) if return_attention else out\n\n\n"
        "# my own check against nn.MultiheadAttention (not graded)\n"
        "x = torch.randn(2, 5, 16)\n"
        "attn = nn.MultiheadAttention(16, 4, batch_first=True)\n"
        "out, _ = attn(x, x, x)\n",
    ),
]
