"""Task 1: energies from logits."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_energy")


def _logits(seed: int, n: int = 6, c: int = 4, scale: float = 3.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, c, generator=g, dtype=torch.float64)


def _energy_defects(logits: torch.Tensor) -> dict:
    return {
        "the sign is flipped: E(x) is MINUS logsumexp of the logits": torch.logsumexp(logits, -1),
        "the logsumexp is taken over the batch dimension instead of the classes": (
            -torch.logsumexp(logits, 0)
        ),
        "this is the largest logit, not the logsumexp": -logits.max(-1).values,
        "this is the mean of the logits, not the logsumexp": -logits.mean(-1),
        "the energy is missing the log: use -logsumexp, not -sum(exp)": -logits.exp().sum(-1),
    }


def require_energies(sub, seed, class_too: bool = False) -> None:
    """The shift and difference tests pay for working energies only: on random logits they
    must be the definitions or what a typical mistake gives (constants, or one logit, have
    the shift property or the difference too)."""
    logits = _logits(seed + 1)
    y = torch.tensor([1, 0, 3, 2, 2, 0])
    energy = -torch.logsumexp(logits, -1)
    ok = any(
        expect.is_close(sub.energy_from_logits(logits), c)
        for c in (energy, *_energy_defects(logits).values())
    )
    expect.true(
        ok,
        "this point is for working energies: energy_from_logits is not -logsumexp of the "
        "logits (nor a typical mistake in it)",
    )
    if class_too:
        picked = logits[torch.arange(6), y]
        normalised = -torch.log_softmax(logits, -1)[torch.arange(6), y]
        expect.true(
            any(
                expect.is_close(sub.class_energy(logits, y), c)
                for c in (-picked, picked, normalised)
            ),
            "this point is for working energies: class_energy is not minus the logit of the "
            "class (nor a typical mistake in it)",
        )


@pytest.mark.points(1)
@pytest.mark.visible
def test_energy_matches_definition(sub, seed):
    """Does energy_from_logits compute -logsumexp over the classes?"""
    logits = _logits(seed)
    out = sub.energy_from_logits(logits)
    expect.shape(out, (6,), "energy_from_logits should return one energy per sample")
    expect.close(
        out,
        -torch.logsumexp(logits, -1),
        "energy_from_logits is wrong",
        diagnoses=_energy_defects(logits),
    )


@pytest.mark.points(1)
def test_energy_is_stable(sub):
    """Is energy_from_logits finite and exact for logits of size ±1000 (float32 and float64)?"""
    base = torch.tensor(
        [[1000.0, 999.0, -1000.0], [-1000.0, -1001.0, -1002.5], [0.5, 1000.0, 1000.0]],
        dtype=torch.float64,
    )
    for dtype in (torch.float64, torch.float32):
        out = sub.energy_from_logits(base.to(dtype))
        out_t = expect.tensor(out, "energy_from_logits should return a tensor")
        expect.true(
            bool(torch.isfinite(out_t).all()),
            f"energy_from_logits overflows for logits of size ±1000 ({dtype}): "
            "subtract the largest logit before exponentiating (or use torch.logsumexp)",
        )
        expect.close(
            out_t,
            -torch.logsumexp(base, -1),
            f"energy_from_logits is inaccurate for logits of size ±1000 ({dtype})",
            rtol=1e-6,
            atol=1e-3,
            diagnoses=_energy_defects(base),
        )


@pytest.mark.points(1)
def test_energy_shift(sub, seed):
    """Does adding c to every logit of a sample lower its energy by exactly c?"""
    logits = _logits(seed)
    c = torch.tensor([-3.0, 0.5, 7.0, 100.0, -250.0, 12.0], dtype=torch.float64)
    before = expect.tensor(sub.energy_from_logits(logits), "expected a tensor")
    after = expect.tensor(sub.energy_from_logits(logits + c[:, None]), "expected a tensor")
    expect.close(
        after - before,
        -c,
        "shifting a sample's logits by c should shift its energy by -c",
        atol=1e-6,
        diagnoses={"the sign of the energy is flipped": c},
    )
    require_energies(sub, seed)


@pytest.mark.points(1)
def test_energy_gradient(sub, seed):
    """Is energy_from_logits differentiable, with gradient -softmax with respect to the logits?"""
    logits = _logits(seed)
    weights = torch.linspace(0.5, 2.0, 6, dtype=torch.float64)
    _, grads = sub.builtins.vjp(sub.energy_from_logits, [logits], weights)
    expect.true(
        grads[0] is not None,
        "no gradient reaches the logits: energy_from_logits must stay differentiable "
        "(no .detach(), .item(), numpy or in-place tricks)",
    )
    softmax = torch.softmax(logits, -1)
    expect.close(
        grads[0],
        -softmax * weights[:, None],
        "the gradient of energy_from_logits is wrong",
        diagnoses={"the sign of the energy is flipped": softmax * weights[:, None]},
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_class_energy_matches_definition(sub, seed):
    """Does class_energy return minus the logit of the given class?"""
    logits = _logits(seed)
    y = torch.tensor([3, 0, 2, 1, 1, 0])
    out = sub.class_energy(logits, y)
    expect.shape(out, (6,), "class_energy should return one energy per sample")
    picked = logits[torch.arange(6), y]
    expect.close(
        out,
        -picked,
        "class_energy is wrong",
        diagnoses={
            "the sign is flipped: E(x, y) is MINUS the logit of class y": picked,
            "this is -log_softmax (the cross-entropy), not -f(x)[y]: do not normalise": (
                -torch.log_softmax(logits, -1)[torch.arange(6), y]
            ),
        },
    )


@pytest.mark.points(1)
def test_energy_difference_is_cross_entropy(sub, seed):
    """Is E(x, y) - E(x) = -log_softmax(f(x))[y], also at logits of size ±1000?"""
    logits = torch.cat(
        [_logits(seed, n=4), torch.tensor([[1000.0, -1000.0, 999.0, 0.0]], dtype=torch.float64)]
    )
    y = torch.tensor([1, 3, 0, 2, 2])
    e_xy = expect.tensor(sub.class_energy(logits, y), "class_energy should return a tensor")
    e_x = expect.tensor(sub.energy_from_logits(logits), "energy_from_logits should return a tensor")
    expect.close(
        e_xy - e_x,
        -torch.log_softmax(logits, -1)[torch.arange(5), y],
        "class_energy(logits, y) - energy_from_logits(logits) should be the cross-entropy "
        "-log softmax(logits)[y]",
        atol=1e-6,
    )
    require_energies(sub, seed, class_too=True)
