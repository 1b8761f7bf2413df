"""The ECE bins are [b/M, (b+1)/M) instead of (b/M, (b+1)/M]."""

KIND = "bug"
REPLACE = [
    (
        "evaluation_impl",
        "in_bin = (conf > b / n_bins) & (conf <= (b + 1) / n_bins)",
        "in_bin = (conf >= b / n_bins) & ((conf < (b + 1) / n_bins) | (b == n_bins - 1))",
    )
]
EXPECT_FAIL = {"test_evaluation.py::test_ece_bin_edges": "closed on the right"}
