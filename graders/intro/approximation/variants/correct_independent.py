"""Correct, written from the student text alone: branchwise stable formulas, a while-loop
MLP, logsumexp via amax, one-hot gradient, in-place SGD updates."""

KIND = "correct"
CELLS = {
    "activations_impl": """
def relu(x: torch.Tensor) -> torch.Tensor:
    return torch.maximum(x, torch.zeros_like(x))


def relu_prime(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, torch.ones_like(x), torch.zeros_like(x))


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    pos = 1 / (1 + torch.exp(-torch.clamp(x, min=0)))
    ex = torch.exp(torch.clamp(x, max=0))
    neg = ex / (1 + ex)
    return torch.where(x >= 0, pos, neg)


def sigmoid_prime(x: torch.Tensor) -> torch.Tensor:
    return sigmoid(x) * sigmoid(-x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    e = torch.exp(-2 * torch.abs(x))
    return torch.where(x >= 0, (1 - e) / (1 + e), -(1 - e) / (1 + e))


def tanh_prime(x: torch.Tensor) -> torch.Tensor:
    t = tanh(x)
    return (1 - t) * (1 + t)


def softplus(x: torch.Tensor) -> torch.Tensor:
    return torch.maximum(x, torch.zeros_like(x)) + torch.log1p(torch.exp(-torch.abs(x)))


def softplus_prime(x: torch.Tensor) -> torch.Tensor:
    return sigmoid(x)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
    return x * (1 + tanh(u)) / 2


def gelu_tanh_prime(x: torch.Tensor) -> torch.Tensor:
    c = math.sqrt(2 / math.pi)
    u = c * (x + 0.044715 * x * x * x)
    du = c * (1 + 0.134145 * x * x)
    t = tanh(u)
    return (1 + t) / 2 + x / 2 * tanh_prime(u) * du
""",
    "mlp_impl": """
def init_mlp(sizes, generator=None, dtype=torch.float32, device=None):
    params = []
    for l in range(1, len(sizes)):
        w = torch.randn((sizes[l - 1], sizes[l]), generator=generator, dtype=dtype)
        w = w * (2 / sizes[l - 1]) ** 0.5
        w = w.to(device)
        b = torch.zeros(sizes[l], dtype=dtype).to(device)
        w.requires_grad = True
        b.requires_grad = True
        params.append((w, b))
    return params


def mlp_forward(params, x, activation):
    L = len(params)
    h = x
    l = 0
    while l < L:
        W, b = params[l]
        z = torch.matmul(h, W) + b
        h = z if l == L - 1 else activation(z)
        l += 1
    return h
""",
    "fit_impl": """
def fit_mlp(sizes, x, y, activation, steps=1000, lr=1e-2, generator=None):
    params = init_mlp(sizes, generator, dtype=x.dtype, device=x.device)
    flat = []
    for W, b in params:
        flat += [W, b]
    opt = torch.optim.Adam(flat, lr=lr)
    losses = []
    for step in range(steps):
        pred = mlp_forward(params, x, activation)
        loss = torch.mean((pred - y) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return params, losses
""",
    "softmax_impl": """
def log_softmax(z: torch.Tensor) -> torch.Tensor:
    m = z.amax(dim=-1, keepdim=True)
    lse = m + torch.log(torch.sum(torch.exp(z - m), dim=-1, keepdim=True))
    return z - lse


def softmax(z: torch.Tensor) -> torch.Tensor:
    e = torch.exp(z - z.amax(dim=-1, keepdim=True))
    return e / e.sum(dim=-1, keepdim=True)


def nll(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    lp = log_softmax(logits)
    return -lp[torch.arange(len(y)), y].mean()
""",
    "grad_impl": """
def softmax_regression_grad(W, b, X, y):
    N, C = X.shape[0], W.shape[1]
    P = softmax(X @ W + b)
    Y = torch.zeros(N, C, dtype=X.dtype, device=X.device)
    Y[torch.arange(N), y] = 1.0
    D = (P - Y) / N
    return X.t() @ D, D.sum(0)
""",
    "train_impl": """
def train_softmax_regression(X, y, num_classes, steps=300, lr=0.5, batch_size=64, generator=None):
    N, D = X.shape
    W = torch.zeros((D, num_classes), dtype=X.dtype, device=X.device)
    b = torch.zeros((num_classes,), dtype=X.dtype, device=X.device)
    for _ in range(steps):
        idx = torch.randint(0, N, (batch_size,), generator=generator)
        idx = idx.to(X.device)
        dW, db = softmax_regression_grad(W, b, X[idx], y[idx])
        W -= lr * dW
        b -= lr * db
    return W, b
""",
}
