"""Task 8: select_hyperparameter(make_estimator, candidates, X_dev, y_dev, X_test, y_test,
n_splits) -> (best, cv_scores, test_score), compared with
GridSearchCV(estimator, grid, cv=KFold(n_splits)).fit(X_dev, y_dev) and its .score on the
test set, computed here. The data are chosen (here) so that the candidate that does best on
the test set is not the one chosen on validation folds: selecting on the test set fails."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.tree import DecisionTreeRegressor

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_select")
ALPHAS = [0.01, 0.3, 3.0, 30.0, 300.0]
K = 4


def ridge_case(seed):
    """Development and test data for which the test set prefers another α than the CV."""
    for s in range(seed, seed + 200):
        rng = np.random.default_rng(s)
        w = rng.normal(size=6) * 0.6
        X = rng.normal(size=(52, 6))
        y = X @ w + 1.5 * rng.normal(size=52)
        X_dev, y_dev, X_test, y_test = X[:40], y[:40], X[40:], y[40:]
        search = GridSearchCV(Ridge(), {"alpha": ALPHAS}, cv=KFold(K)).fit(X_dev, y_dev)
        on_test = [Ridge(alpha=a).fit(X_dev, y_dev).score(X_test, y_test) for a in ALPHAS]
        if ALPHAS[int(np.argmax(on_test))] != search.best_params_["alpha"]:
            return X_dev, y_dev, X_test, y_test, search, on_test
    raise RuntimeError("no data set found")  # never happens for these sizes


def run(sub, factory, candidates, X_dev, y_dev, X_test, y_test):
    result = sub.select_hyperparameter(factory, candidates, X_dev, y_dev, X_test, y_test, K)
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 3,
        "select_hyperparameter must return a tuple (best, cv_scores, test_score)",
    )
    return result


@pytest.fixture
def case(seed):
    return ridge_case(seed % 1000)


@pytest.mark.points(2)
@pytest.mark.visible
def test_selects_on_validation_folds(sub, case):
    """best and cv_scores equal GridSearchCV's choice and mean_test_score (ridge α)."""
    X_dev, y_dev, X_test, y_test, search, on_test = case
    best, cv_scores, _ = run(
        sub, sub.helpers.param_factory("ridge", "alpha", {}), ALPHAS, X_dev, y_dev, X_test, y_test
    )
    expect.close(
        cv_scores, search.cv_results_["mean_test_score"],
        "cv_scores (the mean validation score of each candidate over the k folds of the "
        "development set) differ from GridSearchCV's",
        diagnoses={
            "cv_scores are the test-set scores: validation scores must come from the k folds "
            "of the development set": np.array(on_test)
        },
    )  # fmt: skip
    expect.true(
        best != ALPHAS[int(np.argmax(on_test))],
        "the hyperparameter was selected on the test set: select it on the validation folds",
    )
    expect.true(
        best == search.best_params_["alpha"],
        "best is not the candidate with the highest mean validation score",
    )


@pytest.mark.points(1)
def test_test_score_of_refitted_model(sub, case):
    """test_score is the score on the test set of the best candidate refitted on the whole
    development set (GridSearchCV's refit model)."""
    X_dev, y_dev, X_test, y_test, search, on_test = case
    _, _, test_score = run(
        sub, sub.helpers.param_factory("ridge", "alpha", {}), ALPHAS, X_dev, y_dev, X_test, y_test
    )
    expect.close(
        test_score, search.score(X_test, y_test),
        "test_score is not the test score of the selected candidate refitted on the whole "
        "development set",
        diagnoses={
            "test_score is the best test score over all candidates: score only the selected one": (
                max(on_test)
            ),
            "test_score is the mean validation score, not the test score": (
                search.best_score_
            ),
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_test_set_used_once(sub, case):
    """The test set is scored exactly once and never fitted on; the final model is fitted
    on the whole development set (an estimator that logs its calls, in the sandbox)."""
    X_dev, y_dev, X_test, y_test, _, _ = case
    run(sub, sub.helpers.logged_factory(), ALPHAS, X_dev, y_dev, X_test, y_test)
    log = sub.helpers.read_log()
    expect.true(isinstance(log, list) and log, "make_estimator's estimators were never used")
    test_sum = float(np.sum(X_test))

    def is_test(entry):
        return entry[1] == len(X_test) and abs(entry[2] - test_sum) < 1e-9

    scored = [e for e in log if e[0] == "score" and is_test(e)]
    expect.true(
        len(scored) == 1,
        f"the test set was scored {len(scored)} times: score it exactly once, at the end",
    )
    expect.true(
        not any(e[0] == "fit" and e[1] > len(X_dev) * (K - 1) // K for e in log[:-2]),
        "an estimator was fitted on the whole development set before the selection ended",
    )
    expect.true(
        len(log) >= 2 and log[-2][0] == "fit" and log[-2][1] == len(X_dev)
        and abs(log[-2][2] - float(np.sum(X_dev))) < 1e-9 and is_test(log[-1]),
        "refit the selected candidate on the whole development set, then score it on the test "
        "set (last)",
    )  # fmt: skip
    fits = [e for e in log if e[0] == "fit" and e[1] == len(X_dev) * (K - 1) // K]
    expect.true(
        len(fits) == K * len(ALPHAS),
        "every candidate must be fitted once per fold on the training part of the fold",
    )


@pytest.mark.points(1)
def test_tree_depth_ties(sub, folds, source):
    """Tree depths on noiseless step data: deep trees tie, and the first of the tied
    candidates is selected (as GridSearchCV does); no sklearn.model_selection."""
    rng = np.random.default_rng(7)
    X = rng.uniform(0, 1, size=(40, 1))
    y = np.floor(X[:, 0] * 4)
    depths = [1, 8, 2, 30, 60]
    X_dev, y_dev, X_test, y_test = X[:32], y[:32], X[32:], y[32:]
    params = {"random_state": 0}
    best, cv_scores, test_score = run(
        sub, sub.helpers.param_factory("tree_regressor", "max_depth", params), depths,
        X_dev, y_dev, X_test, y_test,
    )  # fmt: skip
    grid = {"max_depth": depths}
    search = GridSearchCV(DecisionTreeRegressor(**params), grid, cv=KFold(K)).fit(X_dev, y_dev)
    expect.close(
        cv_scores, search.cv_results_["mean_test_score"],
        "cv_scores differ from GridSearchCV's for tree depths",
    )  # fmt: skip
    expect.true(
        best == search.best_params_["max_depth"],
        "best must be the first candidate with the highest mean validation score (ties)",
    )
    expect.close(test_score, search.score(X_test, y_test), "test_score is wrong for tree depths")
    folds.own(source, "select_hyperparameter")
