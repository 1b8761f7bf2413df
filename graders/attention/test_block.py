"""Task 5: TransformerBlock(embed_dim, num_heads, mlp_ratio=4, dropout=0.0), pre-LayerNorm."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_block")
MSG = "the block's output is wrong"


def build(sub, ref, gen, randomize, load_weights, E=8, H=2, mlp_ratio=4, dropout=0.0):
    theirs = ref.TransformerBlock(E, H, mlp_ratio=mlp_ratio).double().eval()
    params = randomize(theirs, gen)
    kwargs = {"mlp_ratio": mlp_ratio} if mlp_ratio != 4 else {}
    if dropout:
        kwargs["dropout"] = dropout
    mine = sub.TransformerBlock(E, H, **kwargs)
    load_weights(sub, mine, params, "TransformerBlock")
    mine.eval()
    return mine, theirs, params


def defects(bugs, params, x, mask, H):
    cases = {
        "LayerNorm is applied after the residual addition (post-LN); this block is pre-LN: "
        "x + attn(ln1(x)), then x + mlp(ln2(x))": {"norm": "post"},
        "the LayerNorms are missing": {"norm": "none"},
        "the MLP reads the un-normalised stream: use mlp(ln2(x))": {"norm": "no_ln2"},
        "the residual adds the normalised input: use x + attn(ln1(x)), not ln1(x) + attn(ln1(x))": {
            "residual": "normalised"
        },
        "the residual connections are missing": {"residual": "none"},
        "the MLP uses ReLU instead of GELU": {"activation": "relu"},
        "the MLP uses the tanh approximation of GELU; use nn.GELU() (exact)": {
            "activation": "gelu_tanh"
        },
    }
    if mask is not None:
        cases["the mask is not passed on to the attention"] = {"use_mask": False}
    return {d: bugs.block(params, x, mask, H, **kw) for d, kw in cases.items()}


def require_block(sub, ref, bugs, gen, randomize, load_weights, dropout=0.0) -> None:
    """The structure and dropout tests pay for a working block only: with the reference's
    weights its eval-mode output must be the reference's or what a typical mistake gives.
    The attention's output projection is zero, so that a mistake in an earlier task (the
    attention) does not cost these points as well."""
    mine, theirs, params = build(sub, ref, gen, randomize, load_weights, dropout=dropout)
    with torch.no_grad():
        for name in ("weight", "bias"):
            params[f"attn.out_proj.{name}"].zero_()
            theirs.get_parameter(f"attn.out_proj.{name}").zero_()
    load_weights(sub, mine, params, "TransformerBlock")
    x = torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        expected = theirs(x)
    candidates = (expected, *defects(bugs, params, x, None, 2).values())
    expect.true(
        any(expect.is_close(mine(x), c) for c in candidates),
        "this point is for a working TransformerBlock: with given weights its output is not "
        "x + attn(ln1(x)), then x + mlp(ln2(x)) (nor a typical mistake in it)",
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_structure(sub, ref, bugs, gen, randomize, load_weights):
    """ln1, attn (MultiHeadAttention), ln2 and an MLP of width mlp_ratio * embed_dim, and
    the block computes with them."""
    shapes = sub.helpers.param_shapes(sub.TransformerBlock(8, 2, mlp_ratio=3))
    for name, shape in (("ln1.weight", (8,)), ("ln2.weight", (8,)), ("attn.q_proj.weight", (8, 8))):
        expect.true(
            shapes.get(name) == shape,
            f"TransformerBlock(8, 2) needs a parameter {name} of shape {shape} "
            "(submodules ln1, attn, ln2, mlp); "
            f"found {sorted(shapes)}",
        )
    expect.true(
        (24, 8) in shapes.values() and (8, 24) in shapes.values(),
        "the MLP must go from embed_dim to mlp_ratio * embed_dim and back "
        "(mlp_ratio=3, embed_dim=8: weights of shape (24, 8) and (8, 24))",
    )
    require_block(sub, ref, bugs, gen, randomize, load_weights)


@pytest.mark.points(2)
def test_matches_reference(sub, ref, bugs, gen, randomize, load_weights):
    """With the same weights, the block equals the pre-LN reference (no mask)."""
    mine, theirs, params = build(sub, ref, gen, randomize, load_weights)
    x = torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        expected = theirs(x)
    expect.close(mine(x), expected, MSG, diagnoses=defects(bugs, params, x, None, 2))


@pytest.mark.points(1)
def test_with_mask_and_ratio(sub, ref, bugs, gen, randomize, load_weights):
    """With a causal mask and mlp_ratio=2 the block equals the reference."""
    mine, theirs, params = build(sub, ref, gen, randomize, load_weights, E=12, H=3, mlp_ratio=2)
    x = torch.randn(2, 6, 12, generator=gen, dtype=torch.float64)
    mask = bugs.causal(6)
    with torch.no_grad():
        expected = theirs(x, mask=mask)
    expect.close(
        mine(x, mask=mask),
        expected,
        MSG + " with a mask",
        diagnoses=defects(bugs, params, x, mask, 3),
    )


@pytest.mark.points(1)
def test_dropout(sub, ref, bugs, gen, randomize, load_weights):
    """dropout is active in train mode and does nothing in eval mode."""
    with_dropout, _, params = build(sub, ref, gen, randomize, load_weights, dropout=0.5)
    without = sub.TransformerBlock(8, 2)
    load_weights(sub, without, params, "TransformerBlock")
    without.eval()
    x = torch.randn(2, 5, 8, generator=gen, dtype=torch.float64)
    first, second = sub.helpers.call_twice(with_dropout, x)
    expect.true(
        torch.equal(expect.tensor(first), expect.tensor(second)),
        "dropout is still active in eval mode: use nn.Dropout modules, which switch off "
        "in eval mode (not F.dropout(..., training=True))",
    )
    expect.close(
        first, without(x),
        "in eval mode, dropout=0.5 changes the output compared with dropout=0: "
        "dropout must do nothing in eval mode",
    )  # fmt: skip
    with_dropout.train()
    first, second = sub.helpers.call_twice(with_dropout, x)
    expect.true(
        not torch.allclose(expect.tensor(first), expect.tensor(second)),
        "dropout=0.5 has no effect in training mode: apply nn.Dropout(dropout) to the outputs "
        "of the attention and of the MLP",
    )
    require_block(sub, ref, bugs, gen, randomize, load_weights, dropout=0.5)


@pytest.mark.points(1)
def test_causal_jacobian(sub, ref, bugs, gen, randomize, load_weights):
    """With a causal mask, d out_i / d x_j is zero for j > i and equals the reference's."""
    mine, theirs, _ = build(sub, ref, gen, randomize, load_weights)
    L = 5
    x = torch.randn(1, L, 8, generator=gen, dtype=torch.float64)
    mask = bugs.causal(L)
    jac = expect.tensor(sub.helpers.jacobian_of(mine, x, {"mask": mask}), "expected a Jacobian")
    expect.shape(jac, (1, L, 8, 1, L, 8), "the Jacobian has the wrong shape")
    blocks = jac[0, :, :, 0].abs().amax(dim=(1, 3))  # [i, j]: largest |d out_i / d x_j|
    future = torch.triu(torch.ones(L, L, dtype=torch.bool), diagonal=1)
    expect.true(
        (blocks[future] < 1e-12).all(),
        "the block is not causal: output i depends on inputs j > i although the mask forbids it",
    )
    expect.true(
        (blocks[~future] > 0).all(),
        "output i does not depend on some allowed input j ≤ i",
    )
    expected = torch.autograd.functional.jacobian(lambda z: theirs(z, mask=mask), x)
    expect.close(jac, expected, "the block's gradient with respect to its input is wrong")
