"""Bug: one estimator is made once and refitted on every fold."""

KIND = "bug"
REPLACE = [("cross_val_impl", """    scores = []
    for train, val in folds:
        estimator = make_estimator()""", """    scores = []
    estimator = make_estimator()
    for train, val in folds:""")]  # fmt: skip
EXPECT_FAIL = {"test_cross_val.py::test_fresh_estimator_per_fold": "reused for all folds"}
