"""Bug: the softmax runs over the queries (dim=-2) instead of the keys."""

KIND = "bug"
REPLACE = [
    ("sdpa_impl", "attn = torch.softmax(scores, dim=-1)", "attn = torch.softmax(scores, dim=-2)")
]
EXPECT_FAIL = {
    "test_sdpa.py::test_matches_torch": "over the queries",
    "test_sdpa.py::test_weights_are_distributions": "sum to 1",
}
