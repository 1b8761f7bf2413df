"""Bug: the estimator is scored on the training part of each fold."""

KIND = "bug"
REPLACE = [("cross_val_impl", "scores.append(estimator.score(X[val], y[val]))",
            "scores.append(estimator.score(X[train], y[train]))")]  # fmt: skip
EXPECT_FAIL = {"test_cross_val.py::test_ridge_kfold": "computed on the training part"}
