"""neg_energy returns E(x) instead of -E(x)."""

KIND = "bug"
REPLACE = [
    ("ood_scores_impl", '"neg_energy": neg_energy.detach()', '"neg_energy": -neg_energy.detach()')
]
EXPECT_FAIL = {"test_ood_scores.py::test_neg_energy": "it is E(x)"}
