"""Task 1: entropy(p), cross_entropy(p, q), kl_divergence(p, q) over the last axis.

Expected values come from torch.distributions, scipy and F.cross_entropy (soft targets),
computed here; the reference notebook serves for the gradients and the zero conventions."""

import math

import pytest
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, kl_divergence

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_information")
LN2 = math.log(2)
LIBRARY_LOSSES = {"kl_div", "cross_entropy", "nll_loss", "rel_entr", "entropy"}


def library_calls(source, name):
    """Library implementations the definition of `name` reaches (parsed, never run)."""
    used = set()
    for u in source.calls_in(name):
        if u.startswith("'"):
            continue
        parts = u.split(".")
        if (
            {"distributions", "scipy", "Categorical", "kl_divergence"} & set(parts[:-1])
            or (parts[-1] in ("Categorical", "rel_entr"))
            or (len(parts) > 1 and parts[-1] in LIBRARY_LOSSES and parts[0] not in ("self",))
        ):
            used.add(u)
    return used


def dists(gen, *shape, dtype=torch.float64, sharp=2.0):
    return (sharp * torch.randn(*shape, generator=gen, dtype=dtype)).softmax(-1)


def torch_cross_entropy(p, q):
    """H(p, q) by F.cross_entropy with probability targets (log q as logits)."""
    k = p.shape[-1]
    out = F.cross_entropy(q.log().reshape(-1, k), p.reshape(-1, k), reduction="none")
    return out.reshape(p.shape[:-1])


def entropy_diagnoses(p):
    h = Categorical(probs=p).entropy()
    return {
        "the result has the wrong sign: H(p) = -Σ p log p": -h,
        "use the natural logarithm (nats), not log2": h / LN2,
        "sum over the last axis, do not average": h / p.shape[-1],
    }


@pytest.mark.points(1)
@pytest.mark.visible
def test_entropy(sub, gen):
    """entropy matches torch.distributions.Categorical(probs=p).entropy() and scipy."""
    p = dists(gen, 4, 6)
    got = sub.entropy(p)
    expect.shape(got, (4,), "entropy of a (4, 6) batch must have shape (4,)")
    want = Categorical(probs=p).entropy()
    expect.close(got, want, "entropy is wrong", diagnoses=entropy_diagnoses(p))
    expect.close(got, torch.from_numpy(scipy.stats.entropy(p.numpy(), axis=-1)), "entropy")


@pytest.mark.points(1)
def test_cross_entropy(sub, gen):
    """cross_entropy matches F.cross_entropy with probability targets, batch dims (2, 3)."""
    p, q = dists(gen, 2, 3, 5), dists(gen, 2, 3, 5)
    got = sub.cross_entropy(p, q)
    expect.shape(got, (2, 3), "cross_entropy of (2, 3, 5) inputs must have shape (2, 3)")
    want = torch_cross_entropy(p, q)
    expect.close(
        got, want, "cross_entropy is wrong",
        diagnoses={
            "the arguments are swapped: H(p, q) = -Σ p log q (log of q, weights p)": (
                torch_cross_entropy(q, p)
            ),
            "the result has the wrong sign: H(p, q) = -Σ p log q": -want,
            "use the natural logarithm (nats), not log2": want / LN2,
            "this is the entropy of p, not the cross-entropy": Categorical(probs=p).entropy(),
            "this is KL(p || q), not the cross-entropy": kl_divergence(
                Categorical(probs=p), Categorical(probs=q)
            ),
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_kl_divergence(sub, gen):
    """kl_divergence matches torch.distributions.kl_divergence and scipy's rel_entr."""
    p, q = dists(gen, 5, 4), dists(gen, 5, 4)
    got = sub.kl_divergence(p, q)
    expect.shape(got, (5,), "kl_divergence of a (5, 4) batch must have shape (5,)")
    want = kl_divergence(Categorical(probs=p), Categorical(probs=q))
    expect.close(
        got, want, "kl_divergence is wrong",
        diagnoses={
            "the arguments are swapped: this is KL(q || p)": kl_divergence(
                Categorical(probs=q), Categorical(probs=p)
            ),
            "the result has the wrong sign: KL(p || q) = Σ p log(p / q)": -want,
            "use the natural logarithm (nats), not log2": want / LN2,
            "this is the cross-entropy H(p, q), not the KL divergence": torch_cross_entropy(p, q),
        },
    )  # fmt: skip
    scipy_kl = scipy.special.rel_entr(p.numpy(), q.numpy()).sum(-1)
    expect.close(got, torch.from_numpy(scipy_kl), "kl_divergence is wrong")
    same = sub.kl_divergence(p, p)
    expect.close(same, torch.zeros(5, dtype=p.dtype), "KL(p || p) must be 0")


@pytest.mark.points(1)
def test_zero_conventions(sub, ref):
    """Zeros: 0 log 0 = 0, terms with p_i = 0 vanish, p_i > 0 with q_i = 0 gives +inf."""
    p = torch.tensor(
        [[0.5, 0.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0], [0.3, 0.7, 0.0, 0.0]],
        dtype=torch.float64,
    )
    q = torch.tensor(
        [[0.25, 0.0, 0.75, 0.0], [0.5, 0.5, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0], [0.3, 0.3, 0.2, 0.2]],
        dtype=torch.float64,
    )
    h = sub.entropy(p)
    expect.true(
        torch.isfinite(expect.tensor(h, "entropy must return a tensor")).all(),
        "entropy gives NaN or inf when some p_i = 0: by convention 0 log 0 = 0",
    )
    expect.close(h, Categorical(probs=p).entropy(), "entropy is wrong when some p_i = 0")
    expect.close(h, torch.from_numpy(scipy.stats.entropy(p.numpy(), axis=-1)), "entropy with zeros")
    for name in ("cross_entropy", "kl_divergence"):
        got = expect.tensor(getattr(sub, name)(p, q), f"{name} must return a tensor")
        want = getattr(ref, name)(p, q)
        expect.true(
            not torch.isnan(got).any(),
            f"{name} gives NaN where p_i = 0: terms with p_i = 0 must count as 0",
        )
        expect.true(
            torch.isinf(got[2]) and got[2] > 0,
            f"{name} must be +inf when some p_i > 0 has q_i = 0",
        )
        expect.close(got, want, f"{name} is wrong when some p_i or q_i are 0")
    kl = sub.kl_divergence(p, q)
    torch_kl = kl_divergence(Categorical(probs=p), Categorical(probs=q))
    expect.close(kl, torch_kl, "kl_divergence is wrong when some p_i or q_i are 0")
    expect.close(
        kl, torch.from_numpy(scipy.stats.entropy(p.numpy(), q.numpy(), axis=-1)), "kl_divergence"
    )


@pytest.mark.points(1)
def test_float32_identity_and_own_code(sub, source, gen):
    """float32 batches keep their dtype, satisfy H(p,q) = H(p) + KL, and the three functions
    are written without torch.distributions / F losses / scipy."""
    p, q = dists(gen, 3, 2, 7, dtype=torch.float32), dists(gen, 3, 2, 7, dtype=torch.float32)
    out = {}
    for name in ("entropy", "cross_entropy", "kl_divergence"):
        args = (p,) if name == "entropy" else (p, q)
        out[name] = expect.tensor(getattr(sub, name)(*args), f"{name} must return a tensor")
        expect.true(
            out[name].dtype == torch.float32, f"{name}: float32 inputs gave {out[name].dtype}"
        )
    p64, q64 = p.double(), q.double()
    expect.close(out["entropy"], Categorical(probs=p64).entropy(), "entropy (float32)", rtol=1e-4)
    expect.close(out["cross_entropy"], torch_cross_entropy(p64, q64), "cross_entropy", rtol=1e-4)
    expect.close(
        out["kl_divergence"],
        kl_divergence(Categorical(probs=p64), Categorical(probs=q64)),
        "kl_divergence (float32)", rtol=1e-4, atol=1e-5,
    )  # fmt: skip
    expect.close(
        out["cross_entropy"], out["entropy"] + out["kl_divergence"],
        "H(p, q) = H(p) + KL(p || q) does not hold", rtol=1e-4, atol=1e-5,
    )  # fmt: skip
    for name in ("entropy", "cross_entropy", "kl_divergence"):
        used = library_calls(source, name)
        expect.true(
            not used,
            f"{name} uses {', '.join(sorted(used))}: compute it from the formula yourself",
        )


@pytest.mark.points(1)
def test_gradients(sub, ref, gen):
    """Gradients with respect to p and q equal autograd's through the reference (float64)."""
    p, q = dists(gen, 3, 4), dists(gen, 3, 4)
    grad_out = torch.randn(3, generator=gen, dtype=torch.float64)
    for name in ("entropy", "cross_entropy", "kl_divergence"):
        args = [p] if name == "entropy" else [p, q]
        _, grads = sub.builtins.vjp(getattr(sub, name), args, grad_out)
        leaves = [a.clone().requires_grad_(True) for a in args]
        expected = torch.autograd.grad(getattr(ref, name)(*leaves), leaves, grad_out)
        for arg, got, want in zip("pq", grads, expected):
            expect.true(
                got is not None,
                f"no gradient of {name} reaches {arg} (no .detach(), .numpy() or .item())",
            )
            expect.close(got, want, f"the gradient of {name} with respect to {arg} is wrong")
