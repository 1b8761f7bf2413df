"""Trusted re-implementations with switches that reproduce typical mistakes.

Each returns what a submission with that mistake would return for the same inputs and
weights; the tests pass them to ``expect.close(..., diagnoses=...)`` to name the defect.
Everything here runs in the grader process on trusted data only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

Params = dict[str, torch.Tensor]


def sdpa(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    scale: str = "sqrt_dk",
    axis: int = -1,
    mask_mode: str = "before",
    fully_masked: str = "zeros",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Attention with one mistake switched on.

    scale: sqrt_dk (right), none, dk, sqrt_dv, times_sqrt_dk
    axis: the softmax axis (-1 is right)
    mask_mode: before (right), after (weights zeroed after the softmax), after_renorm,
      inverted, ignored
    fully_masked: zeros (right), nan, uniform
    """
    d_k, d_v = q.size(-1), v.size(-1)
    factor = {
        "sqrt_dk": 1 / math.sqrt(d_k),
        "none": 1.0,
        "dk": 1 / d_k,
        "sqrt_dv": 1 / math.sqrt(d_v),
        "times_sqrt_dk": math.sqrt(d_k),
    }[scale]
    scores = (q @ k.transpose(-2, -1)) * factor
    if mask is None or mask_mode == "ignored":
        attn = torch.softmax(scores, dim=axis)
        return attn @ v, attn
    allowed = ~mask if mask_mode == "inverted" else mask
    allowed = allowed.expand_as(scores)
    if mask_mode in ("after", "after_renorm"):
        attn = torch.softmax(scores, dim=axis).masked_fill(~allowed, 0.0)
        if mask_mode == "after_renorm":
            attn = attn / attn.sum(-1, keepdim=True)
        return attn @ v, attn
    scores = scores.masked_fill(~allowed, float("-inf"))
    empty = ~allowed.any(dim=-1, keepdim=True)
    if fully_masked == "uniform":
        scores = scores.masked_fill(empty, 0.0)
        attn = torch.softmax(scores, dim=axis)
    elif fully_masked == "nan":
        attn = torch.softmax(scores, dim=axis)
    else:
        attn = torch.softmax(scores.masked_fill(empty, 0.0), dim=axis).masked_fill(~allowed, 0.0)
    return attn @ v, attn


def causal(L: int, kind: str = "right") -> torch.Tensor:
    """right: tril; strict: diagonal excluded; ahead: one future token allowed; upper: triu."""
    ones = torch.ones(L, L, dtype=torch.bool)
    return {
        "right": torch.tril(ones),
        "strict": torch.tril(ones, diagonal=-1),
        "ahead": torch.tril(ones, diagonal=1),
        "upper": torch.triu(ones),
        "strict_upper": torch.triu(ones, diagonal=1),
    }[kind]


def positional_encoding(max_len: int, d: int, kind: str = "right") -> torch.Tensor:
    """The encoding with one mistake.

    right; swapped (cos on even columns); halves (all sines, then all cosines);
    half_exponent (pair i uses 10000^(i/d)); double_exponent (pair i uses 10000^(4i/d), from
    looping over even columns c and writing 2c); column_exponent (column c uses 10000^(c/d));
    from_one (positions 1..max_len).
    """
    p = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    if kind == "from_one":
        p = p + 1
    i = torch.arange(d // 2, dtype=torch.float64)
    power = {"half_exponent": i / d, "double_exponent": 4 * i / d}.get(kind, 2 * i / d)
    angle = p / 10000**power
    sin, cos = torch.sin(angle), torch.cos(angle)
    if kind == "column_exponent":
        col = torch.arange(d, dtype=torch.float64)
        angle = p / 10000 ** (col / d)
        return torch.where(col.long() % 2 == 0, torch.sin(angle), torch.cos(angle))
    if kind == "halves":
        return torch.cat([sin, cos], dim=1)
    pe = torch.zeros(max_len, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = (cos, sin) if kind == "swapped" else (sin, cos)
    return pe


def _linear(p: Params, name: str, x: torch.Tensor) -> torch.Tensor:
    return F.linear(x, p[f"{name}.weight"], p.get(f"{name}.bias"))


def mha(
    p: Params,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    num_heads: int,
    *,
    split: str = "right",
    merge: str = "right",
    scale: str = "head",
    out_proj: bool = True,
    v_with: str = "v_proj",
    mask_mode: str = "before",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head attention (prefix ``p`` names as in the notebook) with one mistake.

    split: right, no_transpose (view to (B, H, L, Dh) directly), head_last ((B, L, Dh, H))
    merge: right, no_transpose (reshape (B, H, L, Dh) to (B, L, E) directly)
    scale: head (1/sqrt(head_dim), right) or embed (1/sqrt(embed_dim))
    """
    B, Lq, E = query.shape
    Lk = key.size(1)
    H = num_heads
    Dh = E // H

    def heads(x: torch.Tensor, L: int) -> torch.Tensor:
        if split == "no_transpose":
            return x.reshape(B, H, L, Dh)
        if split == "head_last":
            return x.reshape(B, L, Dh, H).permute(0, 3, 1, 2)
        return x.reshape(B, L, H, Dh).transpose(1, 2)

    q = heads(_linear(p, "q_proj", query), Lq)
    k = heads(_linear(p, "k_proj", key), Lk)
    v = heads(_linear(p, v_with, value), Lk)
    if scale == "embed":
        q = q * math.sqrt(Dh) / math.sqrt(E)
    out, attn = sdpa(q, k, v, mask, mask_mode=mask_mode)
    if merge == "no_transpose":
        out = out.reshape(B, Lq, E)
    else:
        out = out.transpose(1, 2).reshape(B, Lq, E)
    if out_proj:
        out = _linear(p, "out_proj", out)
    return out, attn


def block(
    p: Params,
    x: torch.Tensor,
    mask: torch.Tensor | None,
    num_heads: int,
    *,
    norm: str = "pre",
    activation: str = "gelu",
    residual: str = "input",
    use_mask: bool = True,
) -> torch.Tensor:
    """A transformer block with one mistake.

    norm: pre (right), post, none, no_ln2 (the MLP reads the un-normalised stream)
    activation: gelu (right), relu, gelu_tanh
    residual: input (right), normalised (adds LN(x) instead of x), none
    """
    E = x.size(-1)

    def ln(name: str, z: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(z, (E,), p[f"{name}.weight"], p[f"{name}.bias"])

    def attention(z: torch.Tensor) -> torch.Tensor:
        sub = {k.removeprefix("attn."): t for k, t in p.items() if k.startswith("attn.")}
        return mha(sub, z, z, z, mask if use_mask else None, num_heads)[0]

    def mlp(z: torch.Tensor) -> torch.Tensor:
        act = {
            "gelu": F.gelu,
            "relu": F.relu,
            "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        }[activation]
        h = act(F.linear(z, p["mlp.0.weight"], p["mlp.0.bias"]))
        return F.linear(h, p["mlp.2.weight"], p["mlp.2.bias"])

    if norm == "post":
        x = ln("ln1", x + attention(x))
        return ln("ln2", x + mlp(x))
    if norm == "none":
        x = x + attention(x)
        return x + mlp(x)
    n1 = ln("ln1", x)
    skip1 = {"input": x, "normalised": n1, "none": 0.0}[residual]
    x = skip1 + attention(n1)
    n2 = x if norm == "no_ln2" else ln("ln2", x)
    skip2 = {"input": x, "normalised": n2, "none": 0.0}[residual]
    return skip2 + mlp(n2)
