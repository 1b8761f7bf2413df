"""The self-similarity stays in the denominator."""

KIND = "bug"
REPLACE = [
    ("nt_xent_impl", '    sim = sim.masked_fill(self_pair, float("-inf"))\n', ""),
]
EXPECT_FAIL = {
    "test_nt_xent.py::test_matches_reference": "self-similarity is not excluded",
}
