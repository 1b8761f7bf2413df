"""Correct, written from the student text alone: one gathered index for the shift,
per-view cross-entropies for NT-Xent, VICReg with explicit centred matrices, a k-NN
that breaks vote ties with a rank bonus, and a probe with torch.autograd.grad."""

KIND = "correct"
CELLS = {
    "augment_impl": """
def random_shift(x, max_shift, generator=None):
    n, L = x.shape
    s = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator)
    idx = (torch.arange(L)[None, :] - s[:, None]) % L
    return torch.gather(x, 1, idx.to(x.device))


def random_scale(x, low, high, generator=None):
    a = torch.rand(x.shape[0], generator=generator, dtype=x.dtype)
    a = a * (high - low) + low
    return torch.einsum("n,nl->nl", a.to(x.device), x)


def add_noise(x, std, generator=None):
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return torch.add(x, noise, alpha=std)


def augment(x, generator=None, max_shift=4, low=0.8, high=1.2, noise_std=0.05):
    out = random_shift(x, max_shift, generator)
    out = random_scale(out, low, high, generator)
    out = add_noise(out, noise_std, generator)
    return out
""",
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    a, b = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    n = a.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=a.device)
    target = torch.arange(n, device=a.device)

    def view_loss(u, v):
        cross = u @ v.T / temperature                     # positives on the diagonal
        same = (u @ u.T / temperature).masked_fill(eye, float("-inf"))
        return F.cross_entropy(torch.cat([cross, same], dim=1), target, reduction="sum")

    return (view_loss(a, b) + view_loss(b, a)) / (2 * n)
""",
    "vicreg_impl": """
def vicreg_loss(z1, z2, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, gamma=1.0, eps=1e-4):
    n, d = z1.shape
    inv = torch.mean(torch.square(z1 - z2))
    var_term = 0
    cov_term = 0
    for z in (z1, z2):
        zc = z - z.mean(0)
        c = zc.T @ zc / (n - 1)
        std = (c.diagonal() + eps).sqrt()
        var_term = var_term + torch.relu(gamma - std).mean()
        cov_term = cov_term + (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return sim_coeff * inv + std_coeff * var_term + cov_coeff * cov_term
""",
    "knn_impl": """
def knn_predict(train_z, train_y, query_z, k=5):
    sims = torch.einsum("md,nd->mn", F.normalize(query_z, dim=1), F.normalize(train_z, dim=1))
    k = min(k, train_z.shape[0])
    order = sims.sort(dim=1, descending=True, stable=True).indices[:, :k]
    labels = train_y.to(query_z.device)[order]
    c = int(train_y.max().item()) + 1
    counts = torch.zeros(len(query_z), c, device=query_z.device)
    counts.scatter_add_(1, labels, torch.ones_like(labels, dtype=counts.dtype))
    # the count of each neighbour's label; the first neighbour whose count is maximal
    per_neighbour = counts.gather(1, labels)
    is_best = per_neighbour == per_neighbour.max(dim=1, keepdim=True).values
    first = torch.argmax(is_best.int(), dim=1)
    return labels[torch.arange(len(query_z), device=query_z.device), first].long()
""",
    "probe_impl": """
def linear_probe(train_z, train_y, test_z, n_classes, steps=100, lr=0.5, weight_decay=1e-3):
    ztr, zte = train_z.detach().clone(), test_z.detach().clone()
    mean = ztr.mean(dim=0)
    std = ztr.var(dim=0, unbiased=False).sqrt()
    std = std.masked_fill(std < 1e-12, 1.0)
    x = (ztr - mean) / std
    params = [torch.zeros(n_classes, x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True),
              torch.zeros(n_classes, dtype=x.dtype, device=x.device, requires_grad=True)]
    with torch.enable_grad():
        for _ in range(steps):
            W, b = params
            loss = F.cross_entropy(x @ W.T + b, train_y) + weight_decay / 2 * (W * W).sum()
            gW, gb = torch.autograd.grad(loss, params)
            params = [(W - lr * gW).detach().requires_grad_(), (b - lr * gb).detach().requires_grad_()]
    W, b = params
    return (((zte - mean) / std) @ W.T + b).detach()
""",
}
