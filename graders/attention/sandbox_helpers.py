"""Grader code that runs inside the sandbox, next to the student's objects.

Every function returns plain data (or an object the grader keeps as a handle); none of
them computes an expected value or decides a score. `student_ns` is the notebook's
namespace, injected by the sandbox worker.
"""

import torch
import torch.nn.functional as F

student_ns: dict  # provided by the sandbox worker

REVERSAL_DIGITS = 6
REVERSAL_ALPHABET = 8


def param_shapes(module: torch.nn.Module) -> dict:
    """{parameter name: shape} in registration order."""
    return {name: tuple(p.shape) for name, p in module.named_parameters()}


def jacobian_of(fn, x: torch.Tensor, kwargs: dict | None = None) -> torch.Tensor:
    """d fn(x, **kwargs) / d x for the first output of `fn`."""
    kwargs = kwargs or {}

    def first(inp):
        out = fn(inp, **kwargs)
        return out[0] if isinstance(out, (tuple, list)) else out

    return torch.autograd.functional.jacobian(first, x)


def call_twice(fn, *args, **kwargs) -> tuple:
    """Two calls of `fn` with the same arguments (dropout on/off shows in the difference)."""
    return fn(*args, **kwargs), fn(*args, **kwargs)


def reversal_batch(gen: torch.Generator, batch: int) -> tuple:
    x = torch.randint(0, REVERSAL_ALPHABET, (batch, REVERSAL_DIGITS), generator=gen)
    return x, x.flip(1)


@torch.no_grad()
def _adam_step(params, grads, moments, lr, step, betas=(0.9, 0.999), eps=1e-8) -> None:
    """One Adam update (torch.optim is avoided: building an optimizer imports torch._dynamo)."""
    b1, b2 = betas
    for p, g, (m, v) in zip(params, grads, moments):
        if g is None:
            continue
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v / (1 - b2**step)).sqrt_().add_(eps)
        p.addcdiv_(m, denom, value=-lr / (1 - b1**step))


def reversal_model_args() -> tuple:
    """TinyGPT(vocab_size, block_size, embed_dim, num_heads, num_layers) of the reversal task."""
    return (REVERSAL_ALPHABET + 1, 2 * REVERSAL_DIGITS, 32, 4, 2)


def train_reversal(seed: int, steps: int = 80, batch: int = 32, lr: float = 1e-2) -> tuple:
    """Train the student's TinyGPT to reverse digit strings: [x, SEP, reversed x].

    The loss is taken here from the returned logits on the answer positions only, so
    the student's own loss is not involved. Returns (model, losses).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    sep = REVERSAL_ALPHABET
    model = student_ns["TinyGPT"](*reversal_model_args())  # noqa: F821
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    moments = [(torch.zeros_like(p), torch.zeros_like(p)) for p in params]
    losses = []
    for _ in range(steps):
        x, y = reversal_batch(gen, batch)
        seq = torch.cat([x, torch.full((batch, 1), sep), y[:, :-1]], dim=1)
        logits = model(seq)[0]
        answer = logits[:, REVERSAL_DIGITS:].reshape(-1, logits.size(-1))
        loss = F.cross_entropy(answer, y.reshape(-1))
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        _adam_step(params, grads, moments, lr, len(losses) + 1)
        losses.append(float(loss.detach()))
    model.eval()
    return model, losses


@torch.no_grad()
def decode_reversal(model, x: torch.Tensor) -> torch.Tensor:
    """Greedy autoregressive answers of `model` for the digit strings `x` (no teacher forcing)."""
    seq = torch.cat([x, torch.full((x.size(0), 1), REVERSAL_ALPHABET)], dim=1)
    for _ in range(x.size(1)):
        logits = model(seq)[0]
        seq = torch.cat([seq, logits[:, -1].argmax(dim=-1, keepdim=True)], dim=1)
    return seq[:, x.size(1) + 1 :]


class OracleLM(torch.nn.Module):
    """A fixed language model handed to the student's `generate`.

    The next-token logits depend on the last token, on the first token of the window
    and on the window length, so cropping mistakes change what comes out. It records
    every context length it is called with. With `sparse`, about half of the next tokens
    after each last token get probability zero (`banned`), so samples that do not come
    from the model show.
    """

    def __init__(
        self, seed: int, vocab_size: int, block_size: int, scale: float = 2.0, sparse=False
    ):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.vocab_size = vocab_size
        self.block_size = block_size
        self.last = torch.randn(vocab_size, vocab_size, generator=gen, dtype=torch.float64) * scale
        self.first = torch.randn(vocab_size, vocab_size, generator=gen, dtype=torch.float64)
        self.length = torch.randn(block_size + 64, vocab_size, generator=gen, dtype=torch.float64)
        self.banned = torch.zeros(vocab_size, vocab_size, dtype=torch.bool)
        if sparse:
            self.banned = torch.rand(vocab_size, vocab_size, generator=gen) < 0.5
            self.banned[torch.arange(vocab_size), self.last.argmax(1)] = False
            self.last = self.last.masked_fill(self.banned, -1e9)
        self.lengths: list[int] = []

    def forward(self, idx: torch.Tensor, targets=None):
        T = idx.size(1)
        self.lengths.append(int(T))
        logits = (
            self.last[idx] + self.first[idx[:, :1]] + self.length[min(T, self.length.size(0) - 1)]
        )
        return logits, None


def make_oracle(
    seed: int, vocab_size: int, block_size: int, scale: float = 2.0, sparse: bool = False
) -> OracleLM:
    return OracleLM(seed, vocab_size, block_size, scale, sparse)


class _TwinAttention(torch.nn.Module):
    """The layout of the notebook's MultiHeadAttention (q_proj, k_proj, v_proj, out_proj,
    num_heads, head_dim), built here so that the KV-cache task does not depend on the
    student's classes."""

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.head_dim = embed_dim // num_heads
        self.q_proj = torch.nn.Linear(embed_dim, embed_dim)
        self.k_proj = torch.nn.Linear(embed_dim, embed_dim)
        self.v_proj = torch.nn.Linear(embed_dim, embed_dim)
        self.out_proj = torch.nn.Linear(embed_dim, embed_dim)

    def forward(self, query, key=None, value=None, mask=None, return_attention=False):
        key = query if key is None else key
        value = key if value is None else value

        def split(t):
            return t.view(t.size(0), t.size(1), self.num_heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q_proj(query)), split(self.k_proj(key)), split(self.v_proj(value))
        scores = q @ k.transpose(-2, -1) / self.head_dim**0.5
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        attn = torch.softmax(scores, dim=-1)
        out = (attn @ v).transpose(1, 2).reshape(query.shape)
        out = self.out_proj(out)
        return (out, attn) if return_attention else out


class _TwinBlock(torch.nn.Module):
    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(embed_dim)
        self.attn = _TwinAttention(embed_dim, num_heads)
        self.ln2 = torch.nn.LayerNorm(embed_dim)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(embed_dim, 4 * embed_dim),
            torch.nn.GELU(),
            torch.nn.Linear(4 * embed_dim, embed_dim),
        )
        self.dropout = torch.nn.Dropout(0.0)

    def forward(self, x, mask=None):
        x = x + self.attn(self.ln1(x), mask=mask)
        return x + self.mlp(self.ln2(x))


class TwinGPT(torch.nn.Module):
    """A TinyGPT with the notebook's layout and parameter names, for the KV-cache task."""

    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers):
        super().__init__()
        self.vocab_size, self.block_size = vocab_size, block_size
        self.tok_emb = torch.nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = torch.nn.Embedding(block_size, embed_dim)
        self.blocks = torch.nn.ModuleList(
            [_TwinBlock(embed_dim, num_heads) for _ in range(num_layers)]
        )
        self.ln_f = torch.nn.LayerNorm(embed_dim)
        self.head = torch.nn.Linear(embed_dim, vocab_size, bias=False)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T))
        mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
        for block in self.blocks:
            x = block(x, mask=mask)
        return self.head(self.ln_f(x)), None


def make_twin_gpt(params: dict, *args) -> TwinGPT:
    """A float64 TwinGPT(*args) in eval mode carrying `params` (the grader's random weights)."""
    model = TwinGPT(*args).double().eval()
    model.load_state_dict(params)
    return model


def dropout_rates(module: torch.nn.Module) -> dict:
    """{module name: p} of every nn.Dropout inside `module`."""
    return {n: float(m.p) for n, m in module.named_modules() if isinstance(m, torch.nn.Dropout)}


def set_dropout(module: torch.nn.Module, prefix: str, p: float) -> None:
    """Set p of every nn.Dropout whose name starts with `prefix`."""
    for name, m in module.named_modules():
        if isinstance(m, torch.nn.Dropout) and name.startswith(prefix):
            m.p = p
