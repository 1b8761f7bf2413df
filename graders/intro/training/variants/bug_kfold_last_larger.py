"""Bug: the extra samples go to the last folds instead of the first ones."""

KIND = "bug"
REPLACE = [("kfold_impl", "sizes[: n_samples % n_splits] += 1",
            "sizes[n_splits - n_samples % n_splits :] += 1")]  # fmt: skip
EXPECT_FAIL = {"test_kfold.py::test_even_and_uneven": "wrong order"}
