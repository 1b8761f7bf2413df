"""Bug: masked weights are zeroed after the softmax, so rows no longer sum to 1."""

KIND = "bug"
CELLS = {
    "sdpa_impl": """
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    attn = torch.softmax(scores, dim=-1)
    if mask is not None:
        attn = attn.masked_fill(~mask, 0.0)
    return attn @ v, attn
""",
}
EXPECT_FAIL = {
    "test_sdpa.py::test_boolean_mask": "applied after the softmax",
    "test_sdpa.py::test_weights_are_distributions": "sum to 1",
}
