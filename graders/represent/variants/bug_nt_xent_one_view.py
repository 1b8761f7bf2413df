"""Only the first view's rows are anchors."""

KIND = "bug"
REPLACE = [
    (
        "nt_xent_impl",
        "return F.cross_entropy(sim, positive)",
        "return F.cross_entropy(sim[:n], positive[:n])",
    ),
]
EXPECT_FAIL = {
    "test_nt_xent.py::test_matches_reference": "first view's rows are anchors",
}
