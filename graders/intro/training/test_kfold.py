"""Task 5: kfold_indices(n_samples, n_splits), fold by fold equal to
sklearn.model_selection.KFold(n_splits, shuffle=False), computed here."""

import numpy as np
import pytest
from sklearn.model_selection import KFold

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_kfold")
FN = "kfold_indices"


def check(sub, folds, n, k):
    got = folds.read(sub.kfold_indices(n, k), FN)
    want = folds.sklearn(KFold(k), np.zeros((n, 1)))
    folds.compare(got, want, FN, f" (n_samples={n}, n_splits={k})")


@pytest.mark.points(1)
@pytest.mark.visible
def test_even_and_uneven(sub, folds):
    """Folds equal KFold's for n divisible by k and for n % k ≠ 0."""
    for n, k in [(12, 4), (10, 3), (11, 4)]:
        check(sub, folds, n, k)


@pytest.mark.points(1)
def test_edge_cases(sub, folds, source):
    """Leave-one-out (n_splits = n_samples), two folds of odd n, and n % k = k - 1, with
    your own code (no sklearn.model_selection)."""
    for n, k in [(5, 5), (2, 2), (13, 2), (14, 5)]:
        check(sub, folds, n, k)
    folds.own(source, FN)


@pytest.mark.points(1)
def test_invalid_n_splits(sub):
    """n_splits < 2 or n_splits > n_samples raises ValueError."""
    for n, k in [(6, 1), (4, 5), (6, 0)]:
        try:
            sub.kfold_indices(n, k)
        except StudentError as exc:
            expect.true(
                exc.type == "ValueError",
                f"kfold_indices({n}, {k}) must raise ValueError, not {exc.type}",
            )
        else:
            expect.fail(f"kfold_indices({n}, {k}) must raise ValueError")
