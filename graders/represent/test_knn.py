"""Task 4: the cosine k-NN classifier on frozen features, with its tie rules."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace

import pytest
import torch

from dlgrade.grading import expect
from dlgrade.grading.proxy import Submission

pytestmark = pytest.mark.task("test_knn")

SIM_TIES = (
    "when training rows are equally similar to a query the one with the lower index must "
    "come first: sort with torch.sort(..., descending=True, stable=True) (torch.topk does "
    "not keep the order of ties)"
)


def _labels(seed: int, n: int, classes: int) -> torch.Tensor:
    return torch.randint(0, classes, (n,), generator=torch.Generator().manual_seed(seed))


def _diagnoses(
    trusted: ModuleType,
    t: torch.Tensor,
    y: torch.Tensor,
    q: torch.Tensor,
    k: int,
    called_k: int | None = None,
) -> dict:
    def wrong(**options: object) -> torch.Tensor:
        return trusted.knn(t, y, q, k, **options)

    out = {
        "the similarity is the dot product: normalise the embeddings (cosine similarity)": wrong(
            similarity="dot"
        ),
        "the neighbours are the nearest in Euclidean distance; use the cosine similarity": (
            wrong(similarity="euclidean")
        ),
        "the neighbours are the least similar rows: order by decreasing similarity": wrong(
            farthest=True
        ),
        "a tie in the votes goes to the smallest label; it goes to the label of the nearest "
        "of the tied neighbours": wrong(vote_ties="lowest"),
        "a tie in the votes goes to the largest label; it goes to the label of the nearest "
        "of the tied neighbours": wrong(vote_ties="highest"),
    }
    if called_k is not None and called_k != k:
        out["k is ignored: use the k nearest training rows"] = trusted.knn(t, y, q, called_k)
    return out


def _check(
    sub: Submission,
    trusted: ModuleType,
    t: torch.Tensor,
    y: torch.Tensor,
    q: torch.Tensor,
    k: int,
    message: str,
) -> torch.Tensor:
    pred = sub.knn_predict(t, y, q, k=k)
    expect.close(
        pred, trusted.knn(t, y, q, k), message, diagnoses=_diagnoses(trusted, t, y, q, k, 5)
    )
    return pred


def require_knn(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """The edge cases of this test pay only for a k-NN that works on random embeddings."""
    t, q = data.randn(seed + 40, 25, 4), data.randn(seed + 41, 10, 4)
    y = _labels(seed + 42, 25, 3)
    expect.true(
        expect.is_close(sub.knn_predict(t, y, q, k=3), trusted.knn(t, y, q, 3)),
        "this point is for a working knn_predict: on random embeddings it does not predict "
        "the labels of the cosine k nearest neighbours",
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Are the labels those of the cosine k-NN for k = 1, 3 and 7?"""
    t = data.randn(seed, 40, 6) * torch.linspace(0.2, 3.0, 40, dtype=torch.float64)[:, None]
    y = _labels(seed + 1, 40, 4)
    q = data.randn(seed + 2, 30, 6)
    for k in (1, 3, 7):
        _check(sub, trusted, t, y, q, k, f"knn_predict is wrong for k={k}")


@pytest.mark.points(2)
def test_similarity_ties(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Among equally similar training rows, does the lower index come first?"""
    require_knn(sub, trusted, data, seed)
    g = torch.Generator().manual_seed(seed)
    # training rows along a few axis directions, lengths 0.5 to 4: their normalised forms
    # are exact, so rows along one direction are exactly tied for every query
    axes = torch.randint(0, 3, (24,), generator=g)
    signs = torch.where(torch.rand(24, generator=g) < 0.25, -1.0, 1.0).double()
    lengths = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)[
        torch.randint(0, 4, (24,), generator=g)
    ]
    t = torch.zeros(24, 3, dtype=torch.float64)
    t[torch.arange(24), axes] = signs * lengths
    y = _labels(seed + 1, 24, 5)
    q = data.randn(seed + 2, 30, 3).abs() + 0.1
    for k in (1, 2, 4):
        pred = sub.knn_predict(t, y, q, k=k)
        expect.close(
            pred,
            trusted.knn(t, y, q, k),
            f"knn_predict is wrong when training rows are tied, for k={k}: {SIM_TIES}",
        )


@pytest.mark.points(2)
def test_vote_ties(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """When labels tie in votes, does the label of the nearest tied neighbour win?"""
    t, q = data.randn(seed, 30, 5), data.randn(seed + 1, 60, 5)
    y = _labels(seed + 2, 30, 3)
    for k in (2, 4):
        expected = trusted.knn(t, y, q, k)
        for rule in ("lowest", "highest"):  # the grader's own check that ties occur here
            assert not torch.equal(expected, trusted.knn(t, y, q, k, vote_ties=rule))
        _check(sub, trusted, t, y, q, k, f"knn_predict is wrong when the votes tie, for k={k}")


@pytest.mark.points(1)
def test_zero_vectors_large_k_and_dtype(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Do zero vectors have similarity 0, does k > n use every row, and are the labels
    int64 of shape (M,)?"""
    require_knn(sub, trusted, data, seed)
    t = data.randn(seed, 9, 4)
    t[3] = 0.0
    y = _labels(seed + 1, 9, 3)
    q = data.randn(seed + 2, 6, 4)
    q[0] = 0.0
    q[4] = 0.0
    pred = sub.knn_predict(t, y, q, k=3)
    expect.shape(pred, (6,), "knn_predict should return one label per query")
    expect.true(expect.tensor(pred).dtype == torch.int64, "knn_predict should return int64 labels")
    expect.close(
        pred,
        trusted.knn(t, y, q, 3),
        "knn_predict is wrong for zero vectors: normalise with F.normalize, so that a zero "
        f"vector has similarity 0 to every row (and then {SIM_TIES})",
    )
    expect.close(
        sub.knn_predict(t, y, q, k=50),
        trusted.knn(t, y, q, 50),
        "knn_predict is wrong when k is larger than the number of training rows: then all "
        "rows are neighbours",
    )
