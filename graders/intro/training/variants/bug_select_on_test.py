"""Bug: the candidate is selected by its score on the test set."""

KIND = "bug"
REPLACE = [("select_impl", "    best = candidates[np.argmax(cv_scores)]",
            "    on_test = [make_estimator(h).fit(X_dev, y_dev).score(X_test, y_test) for h in candidates]\n"
            "    best = candidates[int(np.argmax(on_test))]")]  # fmt: skip
EXPECT_FAIL = {
    "test_select.py::test_selects_on_validation_folds": "selected on the test set",
    "test_select.py::test_test_set_used_once": "the test set was scored",
}
