"""Fixtures shared by the training graders (trusted side)."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest
import torch

from dlgrade.grading import expect


@pytest.fixture
def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def sklearn_folds(splitter, X, y=None) -> list[tuple[list[int], list[int]]]:
    """The (train, val) index lists of a scikit-learn splitter, computed here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(tr.tolist(), va.tolist()) for tr, va in splitter.split(X, y)]


def as_folds(result, fn: str) -> list[tuple[list[int], list[int]]]:
    """A submission's folds as lists of ints, or a failure naming what is malformed."""
    expect.true(
        isinstance(result, (list, tuple)),
        f"{fn} must return a list of (train_idx, val_idx) pairs, got {type(result).__name__}",
    )
    folds = []
    for pair in result:
        expect.true(
            isinstance(pair, (list, tuple)) and len(pair) == 2,
            f"every element returned by {fn} must be a pair (train_idx, val_idx)",
        )
        out = []
        for part, name in zip(pair, ("train_idx", "val_idx")):
            arr = expect.tensor(part, f"{name} must be a 1-D numpy array of indices")
            expect.true(
                arr.dim() == 1 and not arr.is_floating_point() and arr.dtype != torch.bool,
                f"{name} must be a 1-D array of integer indices (got dtype "
                f"{str(arr.dtype).removeprefix('torch.')}, {arr.dim()} dimensions)",
            )
            out.append(arr.tolist())
        folds.append(tuple(out))
    return folds


def compare_folds(got, want, fn: str, what: str) -> None:
    """Fold-by-fold equality with messages in the student's terms."""
    expect.true(
        len(got) == len(want), f"{fn} returned {len(got)} folds for n_splits={len(want)}{what}"
    )
    for f, ((tr, va), (want_tr, want_va)) in enumerate(zip(got, want)):
        expect.true(
            sorted(tr) == tr and sorted(va) == va,
            f"{fn}: the indices of every fold must be in increasing order{what}",
        )
        expect.true(
            set(tr) == set(range(len(want_tr) + len(want_va))) - set(va)
            and len(set(tr)) == len(tr),
            f"{fn}: train_idx of fold {f} must hold exactly the indices not in val_idx{what}",
        )
    sizes, want_sizes = [len(va) for _, va in got], [len(va) for _, va in want]
    if sorted(sizes) == sorted(want_sizes) and sizes != want_sizes:
        expect.fail(
            f"{fn}: the validation folds have the right sizes but in the wrong order{what} "
            "(the first folds must be the larger ones)"
        )
    expect.true(sizes == want_sizes, f"{fn}: the validation folds have the wrong sizes{what}")
    for f, ((_, va), (_, want_va)) in enumerate(zip(got, want)):
        expect.true(va == want_va, f"{fn}: validation fold {f} holds the wrong samples{what}")


MODEL_SELECTION = {"KFold", "StratifiedKFold", "cross_val_score", "cross_validate", "GridSearchCV"}


def model_selection_used(source, fn: str) -> None:
    """Fail if the definition of `fn` reaches sklearn.model_selection (parsed, never run)."""
    used = set()
    for u in source.calls_in(fn):
        if u.startswith("'"):
            continue  # a string constant (a docstring), not a call
        parts = u.split(".")
        own = len(parts) == 1 and source.definition(u) is not None
        if (
            "model_selection" in parts
            or "sklearn" in parts
            or (parts[-1] in MODEL_SELECTION and not own)
        ):
            used.add(u)
    expect.true(
        not used,
        f"{fn} uses {', '.join(sorted(used))}: write it yourself with numpy, "
        "without sklearn.model_selection",
    )


@pytest.fixture(scope="session")
def folds():
    """Tools to read and compare folds (trusted)."""
    return types.SimpleNamespace(
        sklearn=sklearn_folds, read=as_folds, compare=compare_folds, own=model_selection_used
    )


def read_scalar(result, fn: str):
    """The 0-dim tensor inside a `sub.helpers.call` result, or a failure."""
    expect.true(
        result.get("shape") == [],
        f"{fn} must return a 0-dim tensor"
        + (
            f", got shape {tuple(result['shape'])}" if isinstance(result.get("shape"), list) else ""
        ),
    )
    return expect.tensor(result["out"], f"{fn} must return a tensor").reshape(())


@pytest.fixture(scope="session")
def scalar():
    return read_scalar
