"""Bug: the candidate with the lowest score is selected (scores treated as errors)."""

KIND = "bug"
REPLACE = [("select_impl", "np.argmax(cv_scores)", "np.argmin(cv_scores)")]
EXPECT_FAIL = {
    "test_select.py::test_selects_on_validation_folds": "not the candidate with the highest"
}
