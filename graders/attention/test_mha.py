"""Task 4: MultiHeadAttention(embed_dim, num_heads, bias=True)."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_mha")
NAMES = ("q_proj", "k_proj", "v_proj", "out_proj")
MSG = "the multi-head attention output is wrong"


def build(sub, gen, load_weights, E=12, H=3, bias=True):
    """The submission's module and torch's nn.MultiheadAttention with the same random weights."""
    params = {}
    for name in NAMES:
        params[f"{name}.weight"] = torch.randn(E, E, generator=gen, dtype=torch.float64) / E**0.5
        if bias:
            params[f"{name}.bias"] = 0.3 * torch.randn(E, generator=gen, dtype=torch.float64)
    theirs = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([params[f"{n}.weight"] for n in NAMES[:3]]))
        theirs.out_proj.weight.copy_(params["out_proj.weight"])
        if bias:
            theirs.in_proj_bias.copy_(torch.cat([params[f"{n}.bias"] for n in NAMES[:3]]))
            theirs.out_proj.bias.copy_(params["out_proj.bias"])
    mine = sub.MultiHeadAttention(E, H) if bias else sub.MultiHeadAttention(E, H, bias=False)
    load_weights(sub, mine, params, "MultiHeadAttention")
    return mine, theirs, params


def torch_attention(theirs, query, key, value, mask=None):
    """nn.MultiheadAttention's (out, per-head weights); its mask means True = blocked."""
    blocked = None
    if mask is not None:
        B, Lq, Lk = query.size(0), query.size(1), key.size(1)
        full = mask.expand(B, theirs.num_heads, Lq, Lk)
        blocked = ~full.reshape(B * theirs.num_heads, Lq, Lk)
    with torch.no_grad():
        return theirs(
            query, key, value, attn_mask=blocked, need_weights=True, average_attn_weights=False
        )


def defects(bugs, params, query, key, value, mask, H, index=0):
    cases = {
        "heads are split in the wrong order: reshape (B, L, E) to (B, L, num_heads, head_dim) "
        "and then transpose to (B, num_heads, L, head_dim)": {"split": "no_transpose"},
        "heads are split in the wrong order: head h must own features "
        "h*head_dim:(h+1)*head_dim, i.e. reshape to (B, L, num_heads, head_dim)": {
            "split": "head_last"
        },
        "heads are merged in the wrong order: transpose (B, num_heads, Lq, head_dim) back to "
        "(B, Lq, num_heads, head_dim) before reshaping to (B, Lq, embed_dim)": {
            "merge": "no_transpose"
        },
        "scores are scaled by 1/√embed_dim instead of 1/√head_dim": {"scale": "embed"},
        "out_proj is not applied to the merged heads": {"out_proj": False},
        "the values are projected with k_proj instead of v_proj": {"v_with": "k_proj"},
    }
    if mask is not None:
        cases["the mask is inverted: True must mean 'may attend'"] = {"mask_mode": "inverted"}
        cases["the mask is not passed on to the attention"] = {"mask_mode": "ignored"}
    return {d: bugs.mha(params, query, key, value, mask, H, **kw)[index] for d, kw in cases.items()}


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def require_heads(sub, bugs, gen, load_weights) -> None:
    """The structure test pays for a working module only: with given weights its output
    must be torch's or what a typical mistake gives. q_proj and k_proj are zero (uniform
    attention), so that a mistake in an earlier task (the scores) does not cost this point."""
    mine, theirs, params = build(sub, gen, load_weights)
    with torch.no_grad():
        for name in ("q_proj", "k_proj"):
            params[f"{name}.weight"].zero_()
            params[f"{name}.bias"].zero_()
        theirs.in_proj_weight[:24].zero_()
        theirs.in_proj_bias[:24].zero_()
    load_weights(sub, mine, params, "MultiHeadAttention")
    x, y = randn(gen, 2, 5, 12), randn(gen, 2, 5, 12)
    expected, _ = torch_attention(theirs, x, y, y)
    expect.true(
        any(
            expect.is_close(mine(x, y, y), c)
            for c in (expected, *defects(bugs, params, x, y, y, None, 3).values())
        ),
        "this point is for a working MultiHeadAttention built from these layers: with given "
        "weights its output is not out_proj of the merged heads of softmax(QKᵀ/√d)V "
        "(nor a typical mistake in it)",
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_structure(sub, bugs, gen, load_weights):
    """q_proj, k_proj, v_proj and out_proj are (embed_dim × embed_dim) linear layers with
    biases, and the module computes attention with them."""
    shapes = sub.helpers.param_shapes(sub.MultiHeadAttention(12, 3))
    for name in NAMES:
        expect.true(
            shapes.get(f"{name}.weight") == (12, 12) and shapes.get(f"{name}.bias") == (12,),
            f"MultiHeadAttention(12, 3) needs {name} = nn.Linear(12, 12); "
            f"found parameters {sorted(shapes)}",
        )
    require_heads(sub, bugs, gen, load_weights)


@pytest.mark.points(2)
@pytest.mark.visible
def test_self_attention(sub, bugs, gen, load_weights):
    """Self-attention (key and value default to query) equals torch.nn.MultiheadAttention."""
    mine, theirs, params = build(sub, gen, load_weights)
    x = randn(gen, 2, 5, 12)
    expected, _ = torch_attention(theirs, x, x, x)
    expect.close(mine(x), expected, MSG, diagnoses=defects(bugs, params, x, x, x, None, 3))


@pytest.mark.points(1)
def test_cross_attention(sub, bugs, gen, load_weights):
    """Cross-attention with Lq ≠ Lk; value defaults to key."""
    mine, theirs, params = build(sub, gen, load_weights, E=8, H=2)
    x, y, z = randn(gen, 2, 3, 8), randn(gen, 2, 6, 8), randn(gen, 2, 6, 8)
    expected, _ = torch_attention(theirs, x, y, z)
    expect.close(
        mine(x, y, z), expected, MSG + " for cross-attention (query, key, value)",
        diagnoses=defects(bugs, params, x, y, z, None, 2),
    )  # fmt: skip
    x2, y2 = randn(gen, 2, 6, 8), randn(gen, 2, 6, 8)
    expected, _ = torch_attention(theirs, x2, y2, y2)
    expect.close(
        mine(x2, key=y2), expected, MSG + " when only key is given: value must default to key"
    )


@pytest.mark.points(2)
def test_masks(sub, bugs, gen, load_weights):
    """A shared (Lq, Lk) mask and a per-example (B, 1, Lq, Lk) mask match torch's masked attention."""
    mine, theirs, params = build(sub, gen, load_weights)
    x, y = randn(gen, 2, 4, 12), randn(gen, 2, 6, 12)
    shared = torch.rand(4, 6, generator=gen) > 0.4
    shared[:, 1] = True
    per_example = torch.rand(2, 1, 4, 6, generator=gen) > 0.4
    per_example[..., 0] = True
    for mask, what in ((shared, "(Lq, Lk)"), (per_example, "(B, 1, Lq, Lk)")):
        expected, _ = torch_attention(theirs, x, y, y, mask)
        expect.close(
            mine(x, y, y, mask=mask), expected, f"{MSG} with a mask of shape {what}",
            diagnoses=defects(bugs, params, x, y, y, mask, 3),
        )  # fmt: skip


@pytest.mark.points(1)
def test_return_attention(sub, bugs, gen, load_weights):
    """return_attention=True also returns per-head weights of shape (B, H, Lq, Lk)."""
    mine, theirs, params = build(sub, gen, load_weights, E=12, H=4)
    x, y = randn(gen, 3, 2, 12), randn(gen, 3, 5, 12)
    result = mine(x, y, return_attention=True)
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "with return_attention=True, forward must return (out, attn)",
    )
    expect.shape(result[1], (3, 4, 2, 5), "attn must have shape (B, num_heads, Lq, Lk)")
    expected_out, expected_attn = torch_attention(theirs, x, y, y)
    expect.close(result[0], expected_out, MSG)
    expect.close(
        result[1], expected_attn, "the returned attention weights are wrong",
        diagnoses=defects(bugs, params, x, y, y, None, 4, index=1),
    )  # fmt: skip


@pytest.mark.points(1)
def test_without_bias(sub, gen, load_weights):
    """bias=False builds four bias-free projections and still matches torch."""
    shapes = sub.helpers.param_shapes(sub.MultiHeadAttention(8, 2, bias=False))
    expect.true(
        sorted(shapes) == sorted(f"{n}.weight" for n in NAMES),
        f"with bias=False the layers must have no bias; found parameters {sorted(shapes)}",
    )
    mine, theirs, _ = build(sub, gen, load_weights, E=8, H=2, bias=False)
    x = randn(gen, 2, 4, 8)
    expected, _ = torch_attention(theirs, x, x, x)
    expect.close(mine(x), expected, MSG + " with bias=False")


@pytest.mark.points(1)
def test_no_builtin_attention(sub, source, static, gen, load_weights):
    """A working MultiHeadAttention that does not call torch's built-in attention."""
    expect.true(
        source.definition("MultiHeadAttention") is not None,
        "the notebook does not define MultiHeadAttention",
    )
    mine, theirs, _ = build(sub, gen, load_weights, E=8, H=2)
    x = randn(gen, 2, 3, 8)
    expect.close(
        mine(x),
        torch_attention(theirs, x, x, x)[0],
        "this point is for a working multi-head attention without torch's built-in one: " + MSG,
    )
    used = static.builtin_attention_used(
        source, "MultiHeadAttention", skip=("scaled_dot_product_attention",)
    )
    expect.true(
        not used,
        f"MultiHeadAttention calls torch's built-in attention ({', '.join(sorted(used))}); "
        "split the heads and use your own scaled_dot_product_attention",
    )
