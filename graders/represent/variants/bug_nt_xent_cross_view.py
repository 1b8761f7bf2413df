"""CLIP-style loss: only the other view's embeddings are negatives."""

KIND = "bug"
CELLS = {
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = a @ b.T / temperature
    target = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
""",
}
EXPECT_FAIL = {"test_nt_xent.py::test_matches_reference": "only the other view's embeddings"}
