"""Correct: an explicit loop over heads with weight slices, additive masking, loop-built PE."""

KIND = "correct"
CELLS = {
    "sdpa_impl": """
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(k.shape[-1])
    if mask is not None:
        scores = scores + (~mask).to(scores.dtype) * torch.finfo(scores.dtype).min
        scores = scores - scores.amax(dim=-1, keepdim=True)
    weights = scores.exp()
    if mask is not None:
        weights = weights * mask
    total = weights.sum(dim=-1, keepdim=True)
    attn = weights / torch.where(total == 0, torch.ones_like(total), total)
    return torch.matmul(attn, v), attn
""",
    "positional_encoding_impl": """
def sinusoidal_positional_encoding(max_len, d_model):
    rows = []
    for p in range(max_len):
        row = []
        for i in range(0, d_model, 2):
            angle = p / (10000 ** (i / d_model))
            row += [math.sin(angle), math.cos(angle)]
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float32).reshape(max_len, d_model)
""",
    "mha_impl": """
class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _head(self, layer, x, h):
        rows = slice(h * self.head_dim, (h + 1) * self.head_dim)
        bias = None if layer.bias is None else layer.bias[rows]
        return F.linear(x, layer.weight[rows], bias)

    def forward(self, query, key=None, value=None, mask=None, return_attention=False):
        key = query if key is None else key
        value = key if value is None else value
        outs, maps = [], []
        for h in range(self.num_heads):
            head_mask = mask
            if mask is not None and mask.dim() == 4:
                head_mask = mask[:, 0] if mask.size(1) == 1 else mask[:, h]
            o, a = scaled_dot_product_attention(
                self._head(self.q_proj, query, h),
                self._head(self.k_proj, key, h),
                self._head(self.v_proj, value, h),
                head_mask,
            )
            outs.append(o)
            maps.append(a)
        out = self.out_proj(torch.cat(outs, dim=-1))
        if not return_attention:
            return out
        attn = torch.stack(maps, dim=1)
        if attn.dim() == 3:
            attn = attn.unsqueeze(0).expand(query.size(0), -1, -1, -1)
        return out, attn
""",
}
