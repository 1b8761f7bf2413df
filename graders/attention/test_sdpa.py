"""Task 1: scaled_dot_product_attention(q, k, v, mask=None) -> (out, attn)."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_sdpa")
OUT_MSG = "the attention output is wrong"
ATTN_MSG = "the attention weights are wrong"


def qkv(gen, batch=(2,), lq=4, lk=4, dk=8, dv=None, dtype=torch.float64):
    dv = dk if dv is None else dv
    return (
        torch.randn(*batch, lq, dk, generator=gen, dtype=dtype),
        torch.randn(*batch, lk, dk, generator=gen, dtype=dtype),
        torch.randn(*batch, lk, dv, generator=gen, dtype=dtype),
    )


def random_mask(gen, lq, lk, p=0.4):
    mask = torch.rand(lq, lk, generator=gen) > p
    mask[:, 0] = True
    return mask


def diagnoses(bugs, q, k, v, mask=None, index=0):
    """Defect name -> what a submission with that defect returns (element `index`)."""
    cases = {
        "scores are not scaled by 1/√d_k": {"scale": "none"},
        "scores are divided by d_k instead of √d_k": {"scale": "dk"},
        "scores are multiplied by √d_k instead of divided": {"scale": "times_sqrt_dk"},
        "scores are scaled by the value dimension d_v instead of the key dimension d_k": {
            "scale": "sqrt_dv"
        },
        "the softmax is taken over the queries (dim=-2) instead of the keys (dim=-1)": {"axis": -2},
    }
    if mask is not None:
        cases |= {
            "the mask is inverted: True must mean 'may attend'": {"mask_mode": "inverted"},
            "the mask is ignored": {"mask_mode": "ignored"},
            "the mask is applied after the softmax (masked weights are zeroed but the rest "
            "no longer sum to 1); set masked scores to -inf before the softmax": {
                "mask_mode": "after"
            },
        }
    out = {}
    for defect, kwargs in cases.items():
        try:
            out[defect] = bugs.sdpa(q, k, v, mask, **kwargs)[index]
        except RuntimeError:
            continue
    return out


def require_attention(actual, q, k, v, mask, ref, bugs, index, rows=slice(None)) -> None:
    """The property tests pay for a working attention only: `actual` (element `index` of
    the result, restricted to query `rows`) must be the reference's or what a typical
    mistake gives; uniform weights or outputs that ignore the scores have the properties
    but are not attention."""
    actual = expect.tensor(actual, "scaled_dot_product_attention must return tensors")
    expected = ref.scaled_dot_product_attention(q, k, v, mask)[index]
    candidates = [expected, *diagnoses(bugs, q, k, v, mask, index).values()]
    expect.true(
        any(expect.is_close(actual[..., rows, :], c[..., rows, :]) for c in candidates),
        "this point is for a working scaled_dot_product_attention: "
        + (ATTN_MSG if index else OUT_MSG)
        + " (the weights must be softmax(QKᵀ/√d_k) over the allowed keys)",
    )


def check(sub_result, q, k, v, mask, ref, bugs, what=""):
    expect.true(
        isinstance(sub_result, (tuple, list)) and len(sub_result) == 2,
        "scaled_dot_product_attention must return a tuple (out, attn)",
    )
    out, attn = sub_result
    exp_out, exp_attn = ref.scaled_dot_product_attention(q, k, v, mask)
    expect.close(attn, exp_attn, ATTN_MSG + what, diagnoses=diagnoses(bugs, q, k, v, mask, 1))
    expect.close(out, exp_out, OUT_MSG + what, diagnoses=diagnoses(bugs, q, k, v, mask, 0))


@pytest.mark.points(2)
@pytest.mark.visible
def test_matches_torch(sub, ref, bugs, gen):
    """Without a mask, the output equals torch's own attention and the weights its softmax."""
    q, k, v = qkv(gen, batch=(3,), lq=5, lk=5, dk=8)
    result = sub.scaled_dot_product_attention(q, k, v)
    check(result, q, k, v, None, ref, bugs)
    expect.close(result[0], F.scaled_dot_product_attention(q, k, v), OUT_MSG)


@pytest.mark.points(2)
def test_boolean_mask(sub, ref, bugs, gen):
    """A boolean mask (True = may attend) matches torch's masked attention."""
    q, k, v = qkv(gen, batch=(2,), lq=6, lk=6, dk=4)
    mask = random_mask(gen, 6, 6)
    result = sub.scaled_dot_product_attention(q, k, v, mask)
    check(result, q, k, v, mask, ref, bugs, " with a mask")
    expect.close(result[0], F.scaled_dot_product_attention(q, k, v, attn_mask=mask), OUT_MSG)


@pytest.mark.points(2)
def test_batch_dims_and_rectangular(sub, ref, bugs, gen):
    """Two batch dimensions, Lq ≠ Lk and d_v ≠ d_k, with a per-batch mask."""
    q, k, v = qkv(gen, batch=(2, 3), lq=3, lk=7, dk=5, dv=2)
    mask = torch.rand(2, 1, 3, 7, generator=gen) > 0.3
    mask[..., 0] = True
    result = sub.scaled_dot_product_attention(q, k, v)
    expect.true(isinstance(result, (tuple, list)) and len(result) == 2, "return (out, attn)")
    expect.shape(result[0], (2, 3, 3, 2), "out must have shape (..., Lq, d_v)")
    expect.shape(result[1], (2, 3, 3, 7), "attn must have shape (..., Lq, Lk)")
    check(result, q, k, v, None, ref, bugs, " for batch dimensions (2, 3), Lq ≠ Lk, d_v ≠ d_k")
    check(
        sub.scaled_dot_product_attention(q, k, v, mask),
        q, k, v, mask, ref, bugs, " for a mask of shape (B1, 1, Lq, Lk)",
    )  # fmt: skip


@pytest.mark.points(1)
def test_weights_are_distributions(sub, ref, bugs, gen):
    """Every row of weights sums to 1 and masked entries are exactly 0."""
    q, k, v = qkv(gen, batch=(2,), lq=5, lk=6, dk=4)
    mask = random_mask(gen, 5, 6, p=0.5)
    _, attn = sub.scaled_dot_product_attention(q, k, v, mask)
    attn = expect.tensor(attn, "attn must be a tensor")
    expect.shape(attn, (2, 5, 6), "attn must have shape (..., Lq, Lk)")
    expect.true(torch.isfinite(attn).all(), "the attention weights contain NaN or inf")
    expect.true(
        (attn[mask.expand(2, 5, 6) == 0] == 0).all(),
        "masked positions must get weight exactly 0 (set their scores to -inf before the softmax)",
    )
    expect.close(
        attn.sum(-1), torch.ones(2, 5, dtype=attn.dtype), "the weights of a row must sum to 1"
    )
    require_attention(attn, q, k, v, mask, ref, bugs, 1)


@pytest.mark.points(1)
def test_fully_masked_row(sub, ref, bugs, gen):
    """A row with no allowed key gives zero weights and a zero output, not NaN."""
    q, k, v = qkv(gen, batch=(2,), lq=4, lk=5, dk=3)
    mask = random_mask(gen, 4, 5)
    mask[2] = False
    out, attn = sub.scaled_dot_product_attention(q, k, v, mask)
    out, attn = expect.tensor(out, "out must be a tensor"), expect.tensor(attn, "attn too")
    expect.true(
        torch.isfinite(out).all() and torch.isfinite(attn).all(),
        "a fully masked row gives NaN: by our convention its weights and output must be zeros",
    )
    expect.true(
        (attn[:, 2] == 0).all() and (out[:, 2] == 0).all(),
        "a fully masked row must give zero weights and a zero output",
    )
    expect.true(
        torch.allclose(attn[:, [0, 1, 3]].sum(-1), torch.ones(2, 3, dtype=attn.dtype)),
        "handling the fully masked row changed the other rows: they must still sum to 1",
    )
    require_attention(attn, q, k, v, mask, ref, bugs, 1, rows=[0, 1, 3])


@pytest.mark.points(1)
def test_gradients(sub, ref, gen):
    """Gradients with respect to q, k and v equal the reference's (float64)."""
    q, k, v = qkv(gen, batch=(2,), lq=4, lk=5, dk=3, dv=2)
    mask = random_mask(gen, 4, 5)
    grad_out = torch.randn(2, 4, 2, generator=gen, dtype=torch.float64)
    _, grads = sub.builtins.vjp(sub.scaled_dot_product_attention, [q, k, v, mask], grad_out)
    leaves = [t.clone().requires_grad_(True) for t in (q, k, v)]
    out = ref.scaled_dot_product_attention(*leaves, mask)[0]
    expected = torch.autograd.grad(out, leaves, grad_out)
    for name, got, want in zip("qkv", grads[:3], expected):
        expect.true(
            got is not None,
            f"no gradient reaches {name}: the output must be a differentiable function of "
            f"{name} (no .detach(), .numpy() or in-place writes into leaves)",
        )
        expect.close(got, want, f"the gradient with respect to {name} is wrong")


@pytest.mark.points(1)
def test_permuting_keys_and_values(sub, ref, bugs, gen):
    """Permuting keys and values together leaves the output unchanged and permutes the weights."""
    q, k, v = qkv(gen, batch=(2,), lq=3, lk=6, dk=4)
    mask = random_mask(gen, 3, 6)
    perm = torch.randperm(6, generator=gen)
    out, attn = sub.scaled_dot_product_attention(q, k, v, mask)
    out_p, attn_p = sub.scaled_dot_product_attention(q, k[:, perm], v[:, perm], mask[:, perm])
    expect.close(
        out_p, out, "the output changes when keys and values are permuted together: "
        "attention must treat keys as an unordered set",
    )  # fmt: skip
    expect.close(
        attn_p, expect.tensor(attn, "attn must be a tensor")[..., perm],
        "the weights do not follow the keys when they are permuted",
    )  # fmt: skip
    require_attention(out, q, k, v, mask, ref, bugs, 0)


@pytest.mark.points(1)
def test_keeps_float32(sub, gen):
    """float32 inputs give float32 outputs close to torch's attention."""
    q, k, v = qkv(gen, batch=(2,), lq=3, lk=4, dk=8, dtype=torch.float32)
    out, attn = sub.scaled_dot_product_attention(q, k, v)
    out = expect.tensor(out, "out must be a tensor")
    expect.true(out.dtype == torch.float32, f"float32 inputs gave {out.dtype} outputs")
    expect.close(out, F.scaled_dot_product_attention(q, k, v), OUT_MSG, rtol=1e-4, atol=1e-5)


shapes = st.fixed_dictionaries(
    {
        "batch": st.lists(st.integers(1, 3), min_size=0, max_size=2),
        "lq": st.integers(1, 5),
        "lk": st.integers(1, 5),
        "dk": st.integers(1, 6),
        "dv": st.integers(1, 6),
        "masked": st.booleans(),
        "seed": st.integers(0, 2**16),
    }
)


@pytest.mark.points(1)
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(case=shapes)
def test_property_shapes(sub, ref, bugs, case):
    """Random batch dimensions, lengths and widths (hypothesis) all match the reference."""
    g = torch.Generator().manual_seed(case["seed"])
    q, k, v = qkv(g, tuple(case["batch"]), case["lq"], case["lk"], case["dk"], case["dv"])
    mask = torch.rand(case["lq"], case["lk"], generator=g) > 0.3 if case["masked"] else None
    what = (
        f" for batch dimensions {tuple(case['batch'])}, Lq={case['lq']}, Lk={case['lk']}, "
        f"d_k={case['dk']}, d_v={case['dv']}" + (" with a mask" if case["masked"] else "")
    )
    check(sub.scaled_dot_product_attention(q, k, v, mask), q, k, v, mask, ref, bugs, what)


@pytest.mark.points(1)
def test_no_builtin_attention(sub, ref, source, static, gen):
    """A working scaled_dot_product_attention built from matmuls and a softmax, not torch's."""
    expect.true(
        source.definition("scaled_dot_product_attention") is not None,
        "the notebook does not define scaled_dot_product_attention",
    )
    q, k, v = qkv(gen, batch=(2,), lq=3, lk=4, dk=4)
    result = sub.scaled_dot_product_attention(q, k, v)
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "scaled_dot_product_attention must return a tuple (out, attn)",
    )
    expect.close(
        result[0],
        ref.scaled_dot_product_attention(q, k, v)[0],
        "this point is for a working attention without torch's built-in one: " + OUT_MSG,
    )
    used = static.builtin_attention_used(source, "scaled_dot_product_attention")
    expect.true(
        not used,
        "scaled_dot_product_attention calls torch's built-in attention "
        f"({', '.join(sorted(used))}); compute softmax(QKᵀ/√d_k)V yourself",
    )
