"""Correct: arange-comparison mask, exp/log PE, separate dropouts, a mask buffer, inverse-CDF sampling."""

KIND = "correct"
CELLS = {
    "causal_mask_impl": """
def causal_mask(L, device=None):
    i = torch.arange(L, device=device)
    return i[None, :] <= i[:, None]
""",
    "positional_encoding_impl": """
def sinusoidal_positional_encoding(max_len, d_model):
    position = torch.arange(max_len).float()[:, None]
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe = torch.stack([torch.sin(position * div_term), torch.cos(position * div_term)], dim=-1)
    return pe.reshape(max_len, d_model)
""",
    "block_impl": """
class TransformerBlock(nn.Module):
    def __init__(self, embed_dim, num_heads, mlp_ratio=4, dropout=0.0):
        super().__init__()
        hidden = int(mlp_ratio * embed_dim)
        self.ln1 = nn.LayerNorm(embed_dim)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.drop_attn = nn.Dropout(dropout)
        self.ln2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, hidden), nn.GELU(), nn.Linear(hidden, embed_dim), nn.Dropout(dropout)
        )

    def forward(self, x, mask=None):
        h = self.ln1(x)
        x = x + self.drop_attn(self.attn(h, h, h, mask=mask))
        return x + self.mlp(self.ln2(x))
""",
    "tinygpt_impl": """
class TinyGPT(nn.Module):
    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers, dropout=0.0):
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = nn.Embedding(block_size, embed_dim)
        self.emb_dropout = nn.Dropout(p=dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(embed_dim, num_heads, 4, dropout) for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size, bias=False)
        self.register_buffer("mask", causal_mask(block_size))
        for m in self.modules():
            self._init_weights(m)

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            torch.nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            torch.nn.init.normal_(module.weight, std=0.02)

    def forward(self, idx, targets=None):
        T = idx.shape[1]
        x = self.emb_dropout(self.tok_emb(idx) + self.pos_emb.weight[:T])
        for block in self.blocks:
            x = block(x, self.mask[:T, :T])
        logits = self.head(self.ln_f(x))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten())
""",
    "generate_impl": """
@torch.no_grad()
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
    out = idx
    for _ in range(max_new_tokens):
        logits = model(out[:, -model.block_size:])[0][:, -1, :].double()
        if temperature == 0:
            nxt = logits.argmax(-1)
        else:
            logits = logits / temperature
            if top_k is not None:
                values, _ = torch.sort(logits, dim=-1, descending=True)
                logits[logits < values[:, [top_k - 1]]] = -float("inf")
            cdf = torch.softmax(logits, dim=-1).cumsum(-1)
            u = torch.rand(logits.shape[0], 1, generator=generator, dtype=cdf.dtype)
            nxt = (cdf < u * cdf[:, -1:]).sum(-1).clamp(max=logits.shape[-1] - 1)
        out = torch.cat([out, nxt[:, None].to(out.dtype)], dim=1)
    return out
""",
}
