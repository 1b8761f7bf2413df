"""Bug (rule): kfold_indices wraps sklearn's KFold."""

KIND = "bug"
CELLS = {
    "kfold_impl": """
def kfold_indices(n_samples, n_splits):
    from sklearn.model_selection import KFold

    if n_splits > n_samples:
        raise ValueError("too many folds")
    return list(KFold(n_splits).split(np.zeros((n_samples, 1))))
"""
}
EXPECT_FAIL = {"test_kfold.py::test_edge_cases": "without sklearn.model_selection"}
