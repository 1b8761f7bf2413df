"""Task 4: a stable log_softmax, softmax and the mean negative log-likelihood.

Judged against torch.log_softmax, torch.softmax and F.cross_entropy, also for logits
of size 10^4 in float32 and float64."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

raised = load_grader_module(Path(__file__).with_name("common.py")).raised

pytestmark = pytest.mark.task("test_softmax")


def call(sub, name, *args):
    try:
        return getattr(sub, name)(*args)
    except StudentError as exc:
        expect.fail(raised(f"{name}", exc))


def logits(gen, *shape, scale=2.0, dtype=torch.float64):
    return scale * torch.randn(*shape, generator=gen, dtype=dtype)


def huge_logits(gen, dtype) -> torch.Tensor:
    """Rows with a spread of 10^4 and rows sitting at a common offset of 5000."""
    spread = 1e4 * torch.randn(4, 5, generator=gen, dtype=torch.float64)
    offset = 5000 + torch.randn(3, 5, generator=gen, dtype=torch.float64)
    return torch.cat([spread, offset]).to(dtype)


def log_softmax_mistakes(z) -> dict:
    return {
        "it is normalised over the wrong dimension (use the last one)": torch.log_softmax(z, 0),
        "the log-sum-exp is not subtracted (it returns z - max)": z - z.amax(-1, keepdim=True),
        "it returns the softmax, not its logarithm": torch.softmax(z, -1),
    }


@pytest.mark.points(2)
def test_log_softmax_values(sub, gen):
    """log_softmax equals torch.log_softmax over the last dimension (2-D and 3-D inputs)."""
    for shape in ((6, 4), (2, 3, 5)):
        z = logits(gen, *shape)
        expect.close(
            call(sub, "log_softmax", z), torch.log_softmax(z, -1),
            f"log_softmax is wrong for an input of shape {shape}",
            diagnoses=log_softmax_mistakes(z),
        )  # fmt: skip


@pytest.mark.points(2)
def test_log_softmax_huge_logits(sub, gen):
    """log_softmax is finite and accurate for logits of size 10^4, float32 and float64."""
    for dtype in (torch.float64, torch.float32):
        z = huge_logits(gen, dtype)
        got = expect.tensor(call(sub, "log_softmax", z), "log_softmax must return a tensor")
        expect.true(
            got.dtype == dtype, f"log_softmax must keep the dtype ({dtype} in, {dtype} out)"
        )
        expect.true(
            tuple(got.shape) == tuple(z.shape) and not torch.isnan(got).any(),
            f"log_softmax overflows for large logits ({dtype}): it returns NaN. Subtract "
            "the largest logit of each row before exponentiating",
        )
        expected = torch.log_softmax(z, -1)
        finite = torch.isfinite(expected)
        expect.true(
            torch.isfinite(got[finite]).all(),
            f"log_softmax returns inf for large logits ({dtype}): subtract the largest logit "
            "of each row before exponentiating",
        )
        expect.close(
            got[finite], expected[finite],
            f"log_softmax is inaccurate for large logits ({dtype})", rtol=1e-5, atol=1e-3,
        )  # fmt: skip


@pytest.mark.points(1)
def test_softmax(sub, gen):
    """softmax equals torch.softmax, also for huge logits (to float32 precision: z - lse of
    logits near 10^4 is only accurate to about 10^-3 there)."""
    for z in (logits(gen, 5, 3), huge_logits(gen, torch.float64), huge_logits(gen, torch.float32)):
        got = call(sub, "softmax", z)
        expect.close(
            got, torch.softmax(z, -1), f"softmax is wrong ({z.dtype})",
            atol=1e-6 if z.dtype == torch.float64 else 1e-3,
            diagnoses={"it returns the log-softmax": torch.log_softmax(z, -1)},
        )  # fmt: skip
        expect.true(expect.tensor(got).dtype == z.dtype, "softmax must keep the dtype of its input")


@pytest.mark.points(2)
def test_nll(sub, gen):
    """nll is the mean negative log-likelihood (F.cross_entropy), a scalar, stable for
    large logits."""
    for z in (logits(gen, 7, 4), huge_logits(gen, torch.float64)):
        y = torch.randint(0, z.shape[1], (z.shape[0],), generator=gen)
        expected = F.cross_entropy(z, y)
        got = expect.tensor(call(sub, "nll", z, y), "nll must return a tensor")
        # a 0-dim tensor comes back from the sandbox with shape (1,)
        expect.true(
            got.numel() == 1,
            f"nll must return a scalar (0-dim) tensor, got shape {tuple(got.shape)}",
        )
        got = got.reshape(())
        picked = torch.log_softmax(z, -1).gather(1, y.unsqueeze(1)).squeeze(1)
        expect.close(
            got, expected, "nll is not the mean negative log-likelihood", rtol=1e-6,
            diagnoses={
                "the log-likelihoods are summed, not averaged over the N examples": expected * len(y),
                "the sign is wrong: the negative log-likelihood is -mean(log p)": -expected,
                "it averages over all classes, not just the labelled one": -torch.log_softmax(z, -1).mean(),
                "it uses the probabilities, not their logarithm": -picked.exp().mean(),
            },
        )  # fmt: skip


@pytest.mark.points(1)
def test_no_builtin_softmax(sub, source, gen, builtins_used, require_defined):
    """A working log_softmax, softmax and nll without torch's softmax, logsumexp or losses."""
    names = ["log_softmax", "softmax", "nll"]
    require_defined(source, names)
    z = logits(gen, 4, 6)
    y = torch.randint(0, 6, (4,), generator=gen)
    expect.close(
        call(sub, "log_softmax", z), torch.log_softmax(z, -1),
        "this point is for a log_softmax written by hand: it is wrong",
    )  # fmt: skip
    expect.close(
        expect.tensor(call(sub, "nll", z, y), "nll must return a tensor").reshape(-1)[:1].reshape(()),
        F.cross_entropy(z, y),
        "this point is for an nll written by hand: it is wrong",
    )  # fmt: skip
    for name in names:
        used = builtins_used(source, name)
        expect.true(
            not used,
            f"{name} uses torch's own softmax, logsumexp or losses ("
            + ", ".join(sorted(used))
            + "); subtract the maximum and write the log-sum-exp yourself",
        )
