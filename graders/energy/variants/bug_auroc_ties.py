"""Ties between an in- and an out-of-distribution score count as losses."""

KIND = "bug"
REPLACE = [("evaluation_impl", " + 0.5 * (s_in == s_out).to(torch.float64)", "")]
EXPECT_FAIL = {
    "test_evaluation.py::test_auroc_ties": "ties count as losses",
    "test_evaluation.py::test_auroc_extremes": "ties count as losses",
}
