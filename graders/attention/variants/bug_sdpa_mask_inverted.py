"""Bug: the mask is read as True = blocked (torch.nn.MultiheadAttention's convention)."""

KIND = "bug"
REPLACE = [
    (
        "sdpa_impl",
        'scores = scores.masked_fill(~mask, float("-inf"))',
        'scores = scores.masked_fill(mask, float("-inf"))',
    ),
    (
        "sdpa_impl",
        "scores = scores.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)",
        "scores = scores.masked_fill(mask.all(dim=-1, keepdim=True), 0.0)",
    ),
    ("sdpa_impl", "attn = attn.masked_fill(~mask, 0.0)", "attn = attn.masked_fill(mask, 0.0)"),
]
EXPECT_FAIL = {
    "test_sdpa.py::test_boolean_mask": "inverted",
    "test_mha.py::test_masks": "inverted",
}
