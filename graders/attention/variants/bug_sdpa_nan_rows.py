"""Bug: a fully masked row gives NaN (softmax over a row of -inf)."""

KIND = "bug"
CELLS = {
    "sdpa_impl": """
def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    attn = torch.softmax(scores, dim=-1)
    return attn @ v, attn
""",
}
EXPECT_FAIL = {"test_sdpa.py::test_fully_masked_row": "NaN"}
