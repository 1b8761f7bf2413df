"""Bug: classes are numbered in sorted order of the labels, not of first appearance."""

KIND = "bug"
REPLACE = [("stratified_impl", "codes = np.argsort(np.argsort(first))[inverse]",
            "codes = inverse")]  # fmt: skip
EXPECT_FAIL = {"test_stratified.py::test_first_appearance_order": "order of first appearance"}
