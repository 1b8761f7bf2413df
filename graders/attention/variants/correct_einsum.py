"""Correct: einsum everywhere, torch.where masking and nan_to_num for empty rows."""

KIND = "correct"
CELLS = {
    "sdpa_impl": """
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = torch.einsum("...qd,...kd->...qk", q, k) * q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(float("-inf"), dtype=scores.dtype))
    attn = torch.nan_to_num(torch.softmax(scores, dim=-1), nan=0.0)
    return torch.einsum("...qk,...kd->...qd", attn, v), attn
""",
    "mha_impl": """
class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True):
        super().__init__()
        assert embed_dim % num_heads == 0
        self.h = num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query, key=None, value=None, mask=None, return_attention=False):
        if key is None:
            key = query
        if value is None:
            value = key

        def split(t):
            b, l, e = t.shape
            return torch.einsum("blhd->bhld", t.reshape(b, l, self.h, e // self.h))

        out, attn = scaled_dot_product_attention(
            split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value)), mask
        )
        out = torch.einsum("bhld->blhd", out).flatten(2)
        out = self.out_proj(out)
        if return_attention:
            return out, attn
        return out
""",
}
