"""Bug: top-k keeps k + 1 tokens."""

KIND = "bug"
REPLACE = [("generate_impl", "min(top_k, logits.size(-1))", "min(top_k + 1, logits.size(-1))")]
EXPECT_FAIL = {"test_generate.py::test_top_k": "outside the 3 most likely"}
