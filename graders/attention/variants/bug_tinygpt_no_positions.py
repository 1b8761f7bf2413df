"""Bug: the position embedding is never added."""

KIND = "bug"
REPLACE = [
    (
        "tinygpt_impl",
        "x = self.drop(self.tok_emb(idx) + self.pos_emb(positions))",
        "x = self.drop(self.tok_emb(idx))",
    )
]
EXPECT_FAIL = {
    "test_tinygpt.py::test_matches_reference": "position embedding",
}
