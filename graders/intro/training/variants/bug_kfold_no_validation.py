"""Bug: no ValueError for n_splits < 2 or n_splits > n_samples."""

KIND = "bug"
REPLACE = [("kfold_impl", """    if n_splits < 2 or n_splits > n_samples:
        raise ValueError("need 2 <= n_splits <= n_samples")
""", "")]  # fmt: skip
EXPECT_FAIL = {"test_kfold.py::test_invalid_n_splits": "must raise ValueError"}
