"""Correct: sigmoid from softplus, tanh from exp(-2|x|) with copysign, an MLP by functools.reduce,
log_softmax from a hand-written logsumexp, the gradient by scatter."""

KIND = "correct"
REPLACE = [
    (
        "activations_impl",
        "    e = torch.exp(-x.abs())\n    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))",
        "    return torch.exp(-softplus(-x))",
    ),
    (
        "activations_impl",
        "return 2 * sigmoid(2 * x) - 1",
        "e = torch.exp(-2 * x.abs())\n    return torch.copysign((1 - e) / (1 + e), x)",
    ),
    (
        "activations_impl",
        "return torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))",
        "return torch.where(x > 0, x, torch.zeros_like(x)) + torch.log1p(torch.exp(-torch.abs(x)))",
    ),
    ("activations_impl", "return 1 - tanh(x) ** 2", "return 4 * sigmoid(2 * x) * sigmoid(-2 * x)"),
]
CELLS = {
    "mlp_impl": """
import functools


def init_mlp(sizes, generator=None, dtype=torch.float32, device=None):
    out = []
    for a, b in zip(sizes, sizes[1:]):
        W = torch.randn(a, b, generator=generator, dtype=dtype) / math.sqrt(a / 2)
        out.append((W.to(device).requires_grad_(True), torch.zeros(b, dtype=dtype).to(device).requires_grad_(True)))
    return out


def mlp_forward(params, x, activation):
    *hidden, (W_out, b_out) = params
    h = functools.reduce(lambda h, p: activation(torch.addmm(p[1], h, p[0])), hidden, x)
    return torch.addmm(b_out, h, W_out)
""",
    "softmax_impl": """
def _logsumexp(z):
    m = z.max(-1, keepdim=True).values
    return (z - m).exp().sum(-1, keepdim=True).log() + m


def log_softmax(z):
    return z - _logsumexp(z)


def softmax(z):
    return (z - _logsumexp(z)).exp()


def nll(logits, y):
    return -(log_softmax(logits).gather(-1, y.view(-1, 1))).sum() / logits.shape[0]
""",
    "grad_impl": """
def softmax_regression_grad(W, b, X, y):
    P = softmax(X @ W + b)
    G = P - torch.zeros_like(P).scatter_(1, y.view(-1, 1), 1.0)
    G = G / X.shape[0]
    return torch.einsum("nd,nc->dc", X, G), G.sum(0)
""",
}
