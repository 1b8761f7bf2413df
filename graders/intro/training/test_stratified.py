"""Task 6 (the hard one): stratified_kfold_indices(y, n_splits), fold by fold equal to
sklearn.model_selection.StratifiedKFold(n_splits, shuffle=False), computed here."""

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_stratified")
FN = "stratified_kfold_indices"


def want(y, k, folds):
    return folds.sklearn(StratifiedKFold(k), np.zeros((len(y), 1)), np.asarray(y))


def check(sub, folds, y, k, what):
    got = folds.read(sub.stratified_kfold_indices(np.asarray(y), k), FN)
    folds.compare(got, want(y, k, folds), FN, f" ({what}, n_splits={k})")


def labels_in_order(rng, counts):
    """Labels 0..C-1 with the given counts, shuffled, class c first appearing before c+1
    (so the class order by first appearance is the sorted order)."""
    while True:
        y = rng.permutation(np.repeat(np.arange(len(counts)), counts))
        _, first = np.unique(y, return_index=True)
        if (np.diff(first) > 0).all():
            return y


@pytest.mark.points(1)
@pytest.mark.visible
def test_even_counts(sub, folds, rng):
    """Classes whose counts are multiples of n_splits (every fold gets the same share)."""
    check(sub, folds, labels_in_order(rng, [4, 8]), 4, "two classes, counts (4, 8)")
    check(sub, folds, labels_in_order(rng, [3, 3, 6]), 3, "three classes, counts (3, 3, 6)")


@pytest.mark.points(2)
def test_uneven_counts(sub, folds, source, rng):
    """Uneven class counts: the sorted codes are dealt round-robin across classes (with
    your own code, no sklearn.model_selection)."""
    cases = [([4, 4], 3), ([5, 7], 3), ([7, 3, 5], 4), ([2, 9, 4], 3), ([6, 1, 5, 3], 2)]
    for counts, k in cases:
        check(sub, folds, labels_in_order(rng, counts), k, f"class counts {tuple(counts)}")
    folds.own(source, FN)


@pytest.mark.points(1)
def test_first_appearance_order(sub, folds, rng):
    """Classes are numbered in order of first appearance, not of their sorted values;
    string labels work too."""
    hint = "; classes are numbered in order of first appearance"
    y = np.array([2, 0, 0, 2, 1, 0, 0, 1, 2, 0, 1, 2])
    check(sub, folds, y, 3, "labels whose first appearance is not their sorted order" + hint)
    check(sub, folds, np.array([7, 3, 3, 7, 3, 3, 7, 3, 3, 3]), 2, "labels 7 and 3" + hint)
    words = ["cat", "dog", "ant", "dog", "cat", "dog", "ant", "dog", "dog", "cat", "ant"]
    got = folds.read(sub.helpers.with_array(sub.stratified_kfold_indices, words, 2), FN)
    folds.compare(got, want(words, 2, folds), FN, " (string labels, n_splits=2" + hint + ")")
    y = rng.choice([5, 1, 9], size=17, p=[0.5, 0.3, 0.2])
    check(sub, folds, y, 3, "random labels 1, 5, 9" + hint)


@pytest.mark.points(1)
def test_small_classes_and_errors(sub, folds):
    """A class smaller than n_splits is allowed (sklearn only warns); n_splits larger than
    every class count, or below 2, raises ValueError."""
    check(sub, folds, np.array([0, 1, 1, 1, 1, 0, 1, 1, 2]), 4, "a class with 1 sample")
    check(sub, folds, np.array([0, 1, 1, 0, 2]), 2, "n_splits equal to the largest count")
    for y, k in [([0, 1, 1, 0, 2, 2], 3), ([0, 0, 1, 1, 1], 1)]:
        try:
            sub.stratified_kfold_indices(np.array(y), k)
        except StudentError as exc:
            expect.true(
                exc.type == "ValueError",
                f"{FN} must raise ValueError when n_splits={k} is larger than every class "
                f"count or below 2, not {exc.type}",
            )
        else:
            expect.fail(
                f"{FN} must raise ValueError when n_splits is larger than every class count "
                "or below 2"
            )
