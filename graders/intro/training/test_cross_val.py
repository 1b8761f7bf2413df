"""Task 7: cross_val_score(make_estimator, X, y, folds), compared with
sklearn.model_selection.cross_val_score on the same estimator and folds, computed here.

The student's function runs in the sandbox on data sent from here, with estimators made by
sandbox_helpers (scikit-learn's own); only the returned scores come back."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.model_selection import cross_val_score as sk_cross_val_score
from sklearn.tree import DecisionTreeClassifier

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_cross_val")
MSG = "cross_val_score differs from sklearn's cross_val_score"


def regression(rng, n=30, d=3):
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.8 * rng.normal(size=n)
    return X, y


def as_lists(splits):
    return [(np.asarray(tr), np.asarray(va)) for tr, va in splits]


def scores_diagnoses(estimator, X, y, folds):
    """What typical mistakes return (sklearn estimators, computed here)."""
    on_train = [clone(estimator).fit(X[tr], y[tr]).score(X[tr], y[tr]) for tr, _ in folds]
    on_all = [clone(estimator).fit(X, y).score(X[va], y[va]) for _, va in folds]
    swapped = [clone(estimator).fit(X[va], y[va]).score(X[tr], y[tr]) for tr, va in folds]
    return {
        "the scores are computed on the training part: score on the validation part": np.array(
            on_train
        ),
        "the estimator is fitted on all the data: fit on the training part only": np.array(on_all),
        "train and validation are swapped: fit on train_idx, score on val_idx": np.array(swapped),
    }


def read_scores(got, n):
    arr = expect.tensor(got, "cross_val_score must return a numpy array of scores")
    expect.true(
        arr.dim() == 1 and arr.shape[0] == n,
        f"cross_val_score must return one score per fold ({n}), not {tuple(arr.shape)}"
        + (" (return the scores, not their mean)" if arr.dim() == 0 else ""),
    )
    return arr


@pytest.mark.points(2)
@pytest.mark.visible
def test_ridge_kfold(sub, rng):
    """Ridge(alpha=1) with 5 KFold folds: the 5 R² scores equal sklearn's."""
    X, y = regression(rng)
    folds = as_lists(KFold(5).split(X))
    got = read_scores(
        sub.cross_val_score(sub.helpers.factory("ridge", {"alpha": 1.0}), X, y, folds), 5
    )
    want = sk_cross_val_score(Ridge(alpha=1.0), X, y, cv=folds)
    expect.close(got, want, MSG, diagnoses=scores_diagnoses(Ridge(alpha=1.0), X, y, folds))


@pytest.mark.points(1)
def test_classifier_stratified(sub, rng):
    """A decision tree on make_moons with 3 stratified folds: the accuracies equal sklearn's."""
    X, y = make_moons(36, noise=0.3, random_state=int(rng.integers(1000)))
    folds = as_lists(StratifiedKFold(3).split(X, y))
    params = {"max_depth": 2, "random_state": 0}
    got = read_scores(
        sub.cross_val_score(sub.helpers.factory("tree_classifier", params), X, y, folds), 3
    )
    tree = DecisionTreeClassifier(**params)
    want = sk_cross_val_score(tree, X, y, cv=folds)
    expect.close(
        got, want, MSG + " for a classifier", diagnoses=scores_diagnoses(tree, X, y, folds)
    )


@pytest.mark.points(1)
def test_fresh_estimator_per_fold(sub, trusted_helpers, folds, source, rng):
    """An estimator whose state survives refitting: make a fresh one for every fold
    (your own loop, no sklearn.model_selection)."""
    X, y = regression(rng, n=20, d=2)
    splits = as_lists(KFold(4).split(X))
    got = read_scores(sub.cross_val_score(sub.helpers.running_mean_factory(), X, y, splits), 4)
    want = sk_cross_val_score(trusted_helpers.RunningMean(), X, y, cv=splits)
    reused = trusted_helpers.RunningMean()
    reused_scores = [reused.fit(X[tr], y[tr]).score(X[va], y[va]) for tr, va in splits]
    expect.close(
        got, want, MSG + " for an estimator that keeps state between fits",
        diagnoses={
            "one estimator is reused for all folds: call make_estimator() for every fold": (
                np.array(reused_scores)
            )
        },
    )  # fmt: skip
    folds.own(source, "cross_val_score")
