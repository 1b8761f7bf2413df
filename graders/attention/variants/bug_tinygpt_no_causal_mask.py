"""Bug: TinyGPT's blocks get no causal mask (the model can read the future)."""

KIND = "bug"
REPLACE = [("tinygpt_impl", "x = block(x, mask=mask)", "x = block(x)")]
EXPECT_FAIL = {
    "test_tinygpt.py::test_causal_by_perturbation": "not causal",
    "test_tinygpt.py::test_matches_reference": "causal mask",
}
