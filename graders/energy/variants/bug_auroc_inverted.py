"""The AUROC treats the out-of-distribution inputs as the positives."""

KIND = "bug"
REPLACE = [
    (
        "evaluation_impl",
        "wins = (s_in > s_out).to(torch.float64)",
        "wins = (s_in < s_out).to(torch.float64)",
    )
]
EXPECT_FAIL = {
    "test_evaluation.py::test_auroc_matches_sklearn": "inverted",
    "test_evaluation.py::test_auroc_extremes": "inverted",
}
