"""Correct, written from the student text alone: einsum, masked_fill with -inf, unflatten heads, scatter top-k."""

KIND = "correct"
CELLS = {
    "sdpa_impl": '''
def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention.

    q: (..., Lq, d_k), k: (..., Lk, d_k), v: (..., Lk, d_v)
    mask: None or bool tensor broadcastable to (..., Lq, Lk); True = may attend.
    Returns (out, attn): out (..., Lq, d_v), attn (..., Lq, Lk).
    Fully masked rows give zero weights and a zero output (never NaN).
    """
    d_k = q.shape[-1]
    scores = torch.einsum("...qd,...kd->...qk", q, k) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    attn = torch.softmax(scores, dim=-1)
    if mask is not None:
        attn = torch.nan_to_num(attn, nan=0.0)
    out = torch.einsum("...qk,...kd->...qd", attn, v)
    return out, attn
''',
    "causal_mask_impl": '''
def causal_mask(L, device=None):
    """(L, L) bool tensor, True where key j <= query i (may attend)."""
    pos = torch.arange(L, device=device)
    return pos.unsqueeze(1) >= pos.unsqueeze(0)
''',
    "positional_encoding_impl": '''
def sinusoidal_positional_encoding(max_len, d_model):
    """(max_len, d_model) float32: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...)."""
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float32)
    omega = torch.exp(-two_i * math.log(10000.0) / d_model)
    angles = position * omega
    pe = torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1)
    return pe.reshape(max_len, d_model)
''',
    "mha_impl": '''
class MultiHeadAttention(nn.Module):
    """Multi-head attention with separate q_proj, k_proj, v_proj and out_proj layers."""

    def __init__(self, embed_dim, num_heads, bias=True):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim={embed_dim} is not divisible by num_heads={num_heads}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def _split(self, x):
        return x.unflatten(-1, (self.num_heads, self.head_dim)).transpose(-3, -2)

    def forward(self, query, key=None, value=None, mask=None, return_attention=False):
        """query (B, Lq, E), key/value (B, Lk, E); mask broadcastable to (B, H, Lq, Lk).

        Returns out (B, Lq, E), or (out, attn) with attn (B, H, Lq, Lk) if return_attention.
        """
        if key is None:
            key = query
        if value is None:
            value = key
        q = self._split(self.q_proj(query))
        k = self._split(self.k_proj(key))
        v = self._split(self.v_proj(value))
        heads, attn = scaled_dot_product_attention(q, k, v, mask)
        merged = heads.transpose(-3, -2).flatten(-2)
        out = self.out_proj(merged)
        if return_attention:
            return out, attn
        return out
''',
    "block_impl": '''
class TransformerBlock(nn.Module):
    """Pre-LayerNorm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, embed_dim, num_heads, mlp_ratio=4, dropout=0.0):
        super().__init__()
        hidden = mlp_ratio * embed_dim
        self.ln1 = nn.LayerNorm(embed_dim)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.ln2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, hidden), nn.GELU(), nn.Linear(hidden, embed_dim)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        """x: (B, L, E) -> (B, L, E)."""
        x = x + self.dropout(self.attn(self.ln1(x), mask=mask))
        x = x + self.dropout(self.mlp(self.ln2(x)))
        return x
''',
    "tinygpt_impl": '''
class TinyGPT(nn.Module):
    """A decoder-only transformer language model."""

    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = nn.Embedding(block_size, embed_dim)
        self.embedding_dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            [TransformerBlock(embed_dim, num_heads, dropout=dropout) for _ in range(num_layers)]
        )
        self.ln_f = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size, bias=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        """GPT-2 initialisation for one submodule (use with self.apply)."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        """idx (B, T) token ids, T <= block_size -> (logits (B, T, V), loss or None)."""
        T = idx.shape[1]
        if T > self.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size {self.block_size}")
        positions = torch.arange(T, device=idx.device)
        x = self.embedding_dropout(self.tok_emb(idx) + self.pos_emb(positions))
        mask = causal_mask(T, device=idx.device)
        for block in self.blocks:
            x = block(x, mask=mask)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss
''',
    "generate_impl": '''
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
    """Autoregressive sampling; temperature 0 is greedy; context cropped to model.block_size."""
    for _ in range(max_new_tokens):
        context = idx[:, -model.block_size:]
        logits, _ = model(context)
        z = logits[:, -1, :]
        if temperature == 0:
            next_token = z.argmax(dim=-1, keepdim=True)
        else:
            z = z / temperature
            if top_k is not None:
                k = min(top_k, z.shape[-1])
                vals, ids = torch.topk(z, k, dim=-1)
                z = torch.full_like(z, float("-inf")).scatter(-1, ids, vals)
            probs = F.softmax(z, dim=-1)
            next_token = torch.multinomial(probs.cpu(), num_samples=1, generator=generator)
        idx = torch.cat([idx, next_token.to(idx.device)], dim=1)
    return idx
''',
}
