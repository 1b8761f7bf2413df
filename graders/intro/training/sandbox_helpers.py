"""Grader-authored code that runs inside the sandbox, next to the student's functions.

Estimator factories to hand to the student's cross_val_score / select_hyperparameter,
an estimator that logs what it was fitted and scored on, and a wrapper that turns label
lists into numpy arrays (string arrays cannot cross the sandbox boundary). Nothing here
computes an expected value or a verdict: the trusted tests do, with scikit-learn.
"""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

ESTIMATORS = {
    "ridge": Ridge,
    "tree_classifier": DecisionTreeClassifier,
    "tree_regressor": DecisionTreeRegressor,
}
LOG: list = []


def estimator(kind, params):
    """A fresh scikit-learn estimator of the given kind."""
    return ESTIMATORS[kind](**params)


def factory(kind, params):
    """make_estimator() -> a fresh estimator (for cross_val_score)."""
    return lambda: estimator(kind, params)


def param_factory(kind, name, params):
    """make_estimator(h) -> a fresh estimator with parameter `name` = h."""
    return lambda h: estimator(kind, {**params, name: h})


class RunningMean(BaseEstimator, RegressorMixin):
    """Predicts the mean of every target it has ever been fitted on (a model whose state
    survives refitting): a fresh one per fold gives the plain training-fold mean."""

    def __init__(self):
        pass

    def fit(self, X, y):
        self.seen_ = np.concatenate([getattr(self, "seen_", np.zeros(0)), np.asarray(y, float)])
        return self

    def predict(self, X):
        return np.full(len(X), self.seen_.mean())


def running_mean_factory():
    return RunningMean


class Logged(Ridge):
    """Ridge that records (action, number of rows, sum of X) for every fit and score."""

    def fit(self, X, y, sample_weight=None):
        LOG.append(("fit", len(X), float(np.sum(X))))
        return super().fit(X, y, sample_weight)

    def score(self, X, y, sample_weight=None):
        LOG.append(("score", len(X), float(np.sum(X))))
        return super().score(X, y, sample_weight)


def logged_factory():
    """make_estimator(alpha) -> a logging Ridge; the log starts empty."""
    LOG.clear()
    return lambda h: Logged(alpha=h)


def read_log():
    return [list(entry) for entry in LOG]


def with_array(fn, labels, *args):
    """Call fn(np.array(labels), *args) (labels may be strings)."""
    return fn(np.array(labels), *args)


# 0-dim tensors cross the sandbox boundary as shape (1,) (np.ascontiguousarray makes
# 0-dim arrays 1-D), so the shapes are read here and the marked arguments made 0-dim.
def _shape_tree(x):
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return [int(d) for d in x.shape]
    if isinstance(x, (tuple, list)):
        return [_shape_tree(v) for v in x]
    return None


def _scalarize(args, scalars):
    return [a.reshape(()) if i in scalars else a for i, a in enumerate(args)]


def call(fn, args, scalars=()):
    """fn(*args) with the arguments at positions `scalars` made 0-dim; the result and
    the shapes of its tensors."""
    out = fn(*_scalarize(args, scalars))
    return {"out": out, "shape": _shape_tree(out)}


def grad(fn, args, scalars=()):
    """The gradient of fn(*args).sum() with respect to every float tensor argument."""
    import torch

    args = [
        a.detach().clone().requires_grad_(True) if torch.is_tensor(a) and a.is_floating_point()
        else a
        for a in _scalarize(args, scalars)
    ]  # fmt: skip
    out = fn(*args)
    leaves = [a for a in args if torch.is_tensor(a) and a.requires_grad]
    grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
    return [None if g is None else g.detach() for g in grads]
