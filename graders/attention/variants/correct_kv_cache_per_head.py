"""Correct: the KV cache with a loop over heads, einsum and the mask cut from causal_mask."""

KIND = "correct"
CELLS = {
    "kv_cache_impl": """
def forward_with_cache(model, idx, cache=None):
    n_new = idx.shape[1]
    n_past = cache[0][0].shape[-2] if cache else 0
    total = n_past + n_new
    x = model.tok_emb(idx) + model.pos_emb.weight[n_past:total]
    allowed = causal_mask(total, device=idx.device)[n_past:]
    updated = []
    for i, blk in enumerate(model.blocks):
        a = blk.attn
        h = blk.ln1(x)
        heads_q = a.q_proj(h).chunk(a.num_heads, dim=-1)
        heads_k = a.k_proj(h).chunk(a.num_heads, dim=-1)
        heads_v = a.v_proj(h).chunk(a.num_heads, dim=-1)
        ks = torch.stack(heads_k, dim=1)
        vs = torch.stack(heads_v, dim=1)
        if cache:
            past_k, past_v = cache[i]
            ks = torch.cat((past_k, ks), dim=-2)
            vs = torch.cat((past_v, vs), dim=-2)
        updated.append([ks, vs])
        outs = []
        for hd in range(a.num_heads):
            s = torch.einsum("bqd,bkd->bqk", heads_q[hd], ks[:, hd]) / a.head_dim ** 0.5
            s = s.masked_fill(~allowed, float("-inf"))
            outs.append(torch.softmax(s, dim=-1) @ vs[:, hd])
        x = x + a.out_proj(torch.cat(outs, dim=-1))
        x = x + blk.mlp(blk.ln2(x))
    return model.head(model.ln_f(x)), updated
""",
}
