"""Bug: each class is split on its own with np.array_split (always starting at fold 0)."""

KIND = "bug"
CELLS = {
    "stratified_impl": """
def stratified_kfold_indices(y, n_splits):
    y = np.asarray(y)
    if n_splits < 2 or n_splits > np.unique(y, return_counts=True)[1].max():
        raise ValueError("bad n_splits")
    fold = np.empty(len(y), dtype=np.int64)
    for c in np.unique(y):
        for f, part in enumerate(np.array_split(np.flatnonzero(y == c), n_splits)):
            fold[part] = f
    idx = np.arange(len(y))
    return [(idx[fold != f], idx[fold == f]) for f in range(n_splits)]
"""
}
EXPECT_FAIL = {
    "test_stratified.py::test_uneven_counts": "stratified_kfold_indices: the validation folds have"
}
