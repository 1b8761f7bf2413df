"""Bug: test_score is the best mean validation score, no refit, the test set is unused."""

KIND = "bug"
REPLACE = [("select_impl", """    final = make_estimator(best)
    final.fit(X_dev, y_dev)
    return best, cv_scores, final.score(X_test, y_test)""",
            "    return best, cv_scores, float(cv_scores.max())")]  # fmt: skip
EXPECT_FAIL = {"test_select.py::test_test_score_of_refitted_model": "mean validation score, not"}
