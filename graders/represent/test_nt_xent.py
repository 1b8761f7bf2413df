"""Task 2: the NT-Xent (InfoNCE) loss of SimCLR."""

from __future__ import annotations

import math
from types import ModuleType, SimpleNamespace

import pytest
import torch

from dlgrade.grading import StudentError, expect
from dlgrade.grading.proxy import Submission

pytestmark = pytest.mark.task("test_nt_xent")


def _diagnoses(trusted: ModuleType, z1: torch.Tensor, z2: torch.Tensor, tau: float) -> dict:
    """What the typical mistakes return for these embeddings."""

    def wrong(**options: object) -> torch.Tensor:
        return trusted.nt_xent(z1, z2, tau, **options)

    return {
        "the embeddings are not L2-normalised: use u = z / |z| (F.normalize(z, dim=1)) "
        "before the similarities": wrong(normalise=False),
        "the self-similarity is not excluded: the denominator sums over the 2N - 1 rows "
        "b != a (set the diagonal to -inf)": wrong(self_excluded=False),
        "only the first view's rows are anchors: average the loss over all 2N rows, so that "
        "both views are anchors": wrong(both_views=False),
        "the positive is left out of the denominator: it sums over every b != a, the "
        "positive included": wrong(positive_in_denominator=False),
        "only the other view's embeddings are negatives: the denominator runs over all 2N - 1 "
        "other rows, the same view's included": wrong(cross_view_only=True),
        "the similarities are multiplied by the temperature; divide them by it": wrong(
            tau="multiply"
        ),
        "the temperature is ignored: the similarities are u_a . u_b / temperature": wrong(
            tau="ignore"
        ),
        "the losses of the rows are summed; take their mean over the 2N rows": wrong(
            reduction="sum"
        ),
        "the loss is divided by N; it is the mean over the 2N rows": 2 * wrong(),
    }


def _call(
    sub: Submission,
    data: SimpleNamespace,
    z1: torch.Tensor,
    z2: torch.Tensor,
    *args: object,
    **kwargs: object,
) -> torch.Tensor:
    return data.scalar(sub.nt_xent_loss(z1, z2, *args, **kwargs), "nt_xent_loss")


def _check(
    sub: Submission,
    trusted: ModuleType,
    data: SimpleNamespace,
    z1: torch.Tensor,
    z2: torch.Tensor,
    tau: float,
    message: str,
    **tolerance: float,
) -> None:
    loss = _call(sub, data, z1, z2, temperature=tau)
    expect.close(
        loss, trusted.nt_xent(z1, z2, tau), message, diagnoses=_diagnoses(trusted, z1, z2, tau),
        **tolerance,
    )  # fmt: skip


def require_nt_xent(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """The properties of this test pay only for a loss that is NT-Xent on random input."""
    z1, z2 = data.randn(seed + 50, 6, 4), data.randn(seed + 51, 6, 4)
    loss = sub.nt_xent_loss(z1, z2, temperature=0.3)
    expect.true(
        expect.is_close(loss, trusted.nt_xent(z1, z2, 0.3)),
        "this point is for a working nt_xent_loss: on random embeddings it does not compute "
        "NT-Xent",
    )


@pytest.mark.points(3)
@pytest.mark.visible
def test_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is nt_xent_loss NT-Xent (both views as anchors, self excluded, normalised)?"""
    z1 = data.randn(seed, 6, 5)
    z2 = z1 + data.randn(seed + 1, 6, 5, scale=0.7)
    _check(sub, trusted, data, z1, z2, 0.5, "nt_xent_loss is wrong")
    loss = _call(sub, data, z1, z2)
    expect.close(
        loss,
        trusted.nt_xent(z1, z2, 0.5),
        "nt_xent_loss with its default temperature (0.5) is wrong",
        diagnoses=_diagnoses(trusted, z1, z2, 0.5),
    )


@pytest.mark.points(2)
def test_temperatures(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is the loss right for temperatures 0.1, 1 and 2, and for a larger batch?"""
    z1, z2 = data.randn(seed, 9, 3, scale=2.0), data.randn(seed + 1, 9, 3)
    for tau in (0.1, 1.0, 2.0):
        _check(sub, trusted, data, z1, z2, tau, f"nt_xent_loss is wrong for temperature {tau}")
    z1, z2 = data.randn(seed + 2, 17, 6), data.randn(seed + 3, 17, 6)
    _check(sub, trusted, data, z1, z2, 0.2, "nt_xent_loss is wrong for a batch of 17 pairs")


@pytest.mark.points(1)
def test_symmetric_and_scale_invariant(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is the loss unchanged when the views are swapped, the embeddings rescaled or the
    pairs reordered?"""
    require_nt_xent(sub, trusted, data, seed)
    z1, z2 = data.randn(seed, 7, 4), data.randn(seed + 1, 7, 4)
    base = _call(sub, data, z1, z2, temperature=0.4)
    swapped = _call(sub, data, z2, z1, temperature=0.4)
    expect.close(swapped, base, "swapping the two views changes the loss: both views are anchors")
    lengths = torch.linspace(0.2, 5.0, 7, dtype=torch.float64)[:, None]
    scaled = _call(sub, data, z1 * lengths, 3.0 * z2, temperature=0.4)
    expect.close(scaled, base, "rescaling the embeddings changes the loss: L2-normalise them first")
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(seed))
    shuffled = _call(sub, data, z1[perm], z2[perm], temperature=0.4)
    expect.close(
        shuffled, base, "reordering the pairs (the same way in both views) changes the loss"
    )


@pytest.mark.points(1)
def test_small_temperature_float32(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is the loss finite and right for temperature 0.01 in float32?"""
    z1 = data.randn(seed, 8, 5)
    z2 = z1 + data.randn(seed + 1, 8, 5, scale=0.05)
    loss = _call(sub, data, z1.float(), z2.float(), temperature=0.01)
    expect.true(
        bool(torch.isfinite(loss)),
        "nt_xent_loss overflows for temperature 0.01 in float32 (exp(100) is inf there): "
        "compute the log of the sum of exponentials with torch.logsumexp or F.cross_entropy",
    )
    expect.close(
        loss,
        trusted.nt_xent(z1.float(), z2.float(), 0.01),
        "nt_xent_loss is wrong for temperature 0.01 in float32",
        rtol=1e-3,
        atol=1e-3,
    )


@pytest.mark.points(2)
def test_gradients(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """Does loss.backward() give z1 and z2 the gradients of NT-Xent?"""
    z1, z2 = data.randn(seed, 5, 4), data.randn(seed + 1, 5, 4)
    try:
        loss, grads = sub.builtins.vjp(sub.nt_xent_loss, [z1, z2, 0.3], torch.tensor(1.0))
    except StudentError as exc:
        expect.fail(
            f"differentiating nt_xent_loss raised {exc.type}: return the loss as a tensor "
            "connected to z1 and z2 (no .item(), .detach() or torch.no_grad())"
        )
    expect.true(
        grads[0] is not None and grads[1] is not None,
        "no gradient reaches z1 or z2: the loss must be computed from them with torch "
        "operations (no .item(), .detach() or torch.no_grad())",
    )
    a, b = z1.clone().requires_grad_(True), z2.clone().requires_grad_(True)
    expected = torch.autograd.grad(trusted.nt_xent(a, b, 0.3), [a, b])
    expect.close(
        torch.cat([grads[0].reshape(-1), grads[1].reshape(-1)]),
        torch.cat([g.reshape(-1) for g in expected]),
        "the gradients of nt_xent_loss with respect to z1 and z2 are wrong",
    )
    expect.close(loss, trusted.nt_xent(z1, z2, 0.3), "nt_xent_loss is wrong")


@pytest.mark.points(1)
def test_aligned_and_single_pair(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is the loss log(1 + (2N - 2) exp(-1/tau)) for aligned orthonormal pairs, and 0 for a
    single pair?"""
    require_nt_xent(sub, trusted, data, seed)
    q, _ = torch.linalg.qr(data.randn(seed, 6, 6))
    for tau in (0.25, 0.7):
        loss = _call(sub, data, q[:5], 2.0 * q[:5], temperature=tau)
        expect.close(
            loss,
            math.log(1 + 8 * math.exp(-1 / tau)),
            "nt_xent_loss is wrong for aligned orthonormal pairs",
            diagnoses=_diagnoses(trusted, q[:5], 2.0 * q[:5], tau),
        )
    single = _call(sub, data, data.randn(seed + 1, 1, 3), data.randn(seed + 2, 1, 3))
    expect.close(
        single,
        0.0,
        "with a single pair the only other row is the positive, so the loss is 0",
        atol=1e-9,
    )
