"""Bug: on ties the last of the best candidates is selected."""

KIND = "bug"
REPLACE = [("select_impl", "    best = candidates[np.argmax(cv_scores)]",
            "    best = candidates[len(candidates) - 1 - int(np.argmax(cv_scores[::-1]))]")]  # fmt: skip
EXPECT_FAIL = {"test_select.py::test_tree_depth_ties": "first candidate"}
