"""Task 7: sinusoidal timestep embedding and the ε-network."""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_network")
STEPS = torch.tensor([0, 1, 7, 50, 999])


def _embedding(t, dim, *, denominator=None, base=10000.0, order="sin_cos"):
    """emb[:, i] = sin(t ω_i), emb[:, half + i] = cos(t ω_i), ω_i = base^(−i / half)."""
    half = dim // 2
    den = half if denominator is None else denominator
    freqs = torch.tensor([math.exp(-math.log(base) * i / den) for i in range(half)])
    args = t.double()[:, None] * freqs.double()[None, :]
    sin, cos = torch.sin(args), torch.cos(args)
    if order == "sin_cos":
        emb = torch.cat([sin, cos], dim=-1)
    elif order == "cos_sin":
        emb = torch.cat([cos, sin], dim=-1)
    else:
        emb = torch.stack([sin, cos], dim=-1).reshape(t.shape[0], 2 * half)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros(t.shape[0], 1, dtype=emb.dtype)], dim=-1)
    return emb


def _embedding_defects(dim: int) -> dict:
    return {
        "sin and cos are interleaved; put all sines first, then all cosines": _embedding(
            STEPS, dim, order="interleaved"
        ),
        "the cosines come first; the layout is [sin | cos]": _embedding(
            STEPS, dim, order="cos_sin"
        ),
        "the frequencies use i/(half − 1); use ω_i = 10000^(−i/half)": _embedding(
            STEPS, dim, denominator=dim // 2 - 1
        ),
        "the frequencies use i/dim; use ω_i = 10000^(−i/half) with half = dim // 2": (
            _embedding(STEPS, dim, denominator=dim)
        ),
        "the frequencies grow with i; the exponent must be negative": _embedding(
            STEPS, dim, base=1e-4
        ),
    }


@pytest.mark.visible
@pytest.mark.points(2)
def test_embedding_values(sub):
    """Is timestep_embedding(t, 16) = [sin(t ω_i) | cos(t ω_i)] with ω_i = 10000^(−i/8)?"""
    dim = 16
    out = expect.tensor(sub.timestep_embedding(STEPS, dim), "timestep_embedding")
    expect.shape(out, (len(STEPS), dim), "timestep_embedding(t, dim) must have shape (B, dim)")
    expect.true(out.is_floating_point(), "timestep_embedding must return floating-point values")
    expect.close(
        out,
        _embedding(STEPS, dim),
        "timestep_embedding is wrong",
        rtol=0,
        atol=3e-4,
        diagnoses=_embedding_defects(dim),
    )


def test_embedding_odd_dim(sub):
    """For an odd dim, is the embedding the even-size one plus a final column of zeros?"""
    dim = 9
    out = expect.tensor(sub.timestep_embedding(STEPS, dim), "timestep_embedding")
    expect.shape(out, (len(STEPS), dim), "timestep_embedding(t, 9) must have shape (B, 9)")
    expect.close(
        out,
        _embedding(STEPS, dim),
        "timestep_embedding is wrong for an odd dim (half = dim // 2, then one zero column)",
        rtol=0,
        atol=3e-4,
    )


def test_eps_mlp(sub, seed):
    """Does EpsMLP(data_dim) map (x, t) to an ε of x's shape that depends on both x and t?"""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 3, generator=g)
    t = torch.tensor([0, 3, 10, 99])
    model = sub.EpsMLP(data_dim=3)
    report = sub.helpers.module_report(model, x, t)
    out = expect.tensor(report["out"], "EpsMLP must return a tensor")
    expect.shape(out, (4, 3), "EpsMLP(data_dim=3) must return one ε per example, shape (B, 3)")
    expect.true(out.dtype == torch.float32, "EpsMLP must return float32 for float32 input")
    expect.true(torch.isfinite(out).all(), "EpsMLP returns NaN or inf")
    expect.true(report["params_with_grad"] > 0, "no parameter of EpsMLP receives a gradient")
    expect.true(
        report["n_params"] < 2_000_000,
        f"EpsMLP has {report['n_params']} parameters; keep it small (well under 2 million)",
    )
    other_t = expect.tensor(model(x, torch.tensor([50, 1, 77, 5])), "EpsMLP")
    expect.true(
        (other_t - out).abs().max() > 1e-6,
        "EpsMLP ignores t: add the timestep embedding to the hidden features",
    )
    other_x = expect.tensor(model(x + 1.0, t), "EpsMLP")
    expect.true((other_x - out).abs().max() > 1e-6, "EpsMLP ignores x")
    default = expect.tensor(sub.EpsMLP()(torch.zeros(2, 2), torch.tensor([0, 1])), "EpsMLP()")
    expect.shape(default, (2, 2), "EpsMLP() must default to data_dim=2")
    embedding = sub.timestep_embedding(STEPS, 16)
    expect.true(
        any(
            expect.is_close(embedding, c, rtol=0, atol=3e-4)
            for c in (_embedding(STEPS, 16), *_embedding_defects(16).values())
        ),
        "this point is for a working network: EpsMLP's time input, timestep_embedding, does "
        "not compute the sinusoidal embedding (nor a typical mistake in it)",
    )
