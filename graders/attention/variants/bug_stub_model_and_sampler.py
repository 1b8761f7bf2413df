"""Bug: stubs that only look right. TinyGPT returns all-zero logits of the right shape
(so its loss is exactly ln V) and generate appends uniformly random tokens drawn from
the generator, ignoring the model."""

KIND = "bug"
CELLS = {
    "tinygpt_impl": """
class TinyGPT(nn.Module):
    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers, dropout=0.0):
        super().__init__()
        self.vocab_size, self.block_size = vocab_size, block_size

    def forward(self, idx, targets=None):
        logits = torch.zeros(*idx.shape, self.vocab_size)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1))
""",
    "generate_impl": """
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
    for _ in range(max_new_tokens):
        nxt = torch.randint(0, model.vocab_size, (idx.size(0), 1), generator=generator)
        idx = torch.cat([idx, nxt], dim=1)
    return idx
""",
}
EXPECT_FAIL = {
    "test_tinygpt.py::test_loss_at_initialisation": "parameters described in the notebook",
    "test_tinygpt.py::test_causal_by_perturbation": "do not depend on the tokens",
    "test_tinygpt.py::test_learns_reversal": "",
    "test_generate.py::test_generator_reproducible": "probability zero",
    "test_generate.py::test_greedy": "",
}
