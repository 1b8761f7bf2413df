"""Correct, written from the student text alone: loops over rows, torch.roll, an explicit
log-sum-exp per anchor, VICReg term by term, a k-NN that counts votes in Python and a
probe with hand-written gradients."""

KIND = "correct"
CELLS = {
    "augment_impl": """
def random_shift(x, max_shift, generator=None):
    shifts = torch.randint(-max_shift, max_shift + 1, (x.shape[0],), generator=generator)
    rows = [torch.roll(x[i], int(shifts[i])) for i in range(x.shape[0])]
    return torch.stack(rows) if rows else x.clone()


def random_scale(x, low, high, generator=None):
    a = low + (high - low) * torch.rand(x.shape[0], generator=generator, dtype=x.dtype)
    a = a.to(x.device)
    return torch.stack([a[i] * x[i] for i in range(x.shape[0])])


def add_noise(x, std, generator=None):
    return x + std * torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)


def augment(x, generator=None, max_shift=4, low=0.8, high=1.2, noise_std=0.05):
    shifted = random_shift(x, max_shift, generator=generator)
    scaled = random_scale(shifted, low, high, generator=generator)
    return add_noise(scaled, noise_std, generator=generator)
""",
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    n = z1.shape[0]
    u = torch.cat([z1, z2], dim=0)
    u = u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)
    total = 0.0
    for a in range(2 * n):
        p = a + n if a < n else a - n
        s = (u @ u[a]) / temperature
        others = torch.cat([s[:a], s[a + 1:]])
        total = total + torch.logsumexp(others, dim=0) - s[p]
    return total / (2 * n)
""",
    "vicreg_impl": """
def vicreg_loss(z1, z2, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, gamma=1.0, eps=1e-4):
    n, d = z1.shape

    def variance(z):
        mean = z.sum(dim=0) / n
        var = ((z - mean) ** 2).sum(dim=0) / (n - 1)
        return torch.clamp(gamma - torch.sqrt(var + eps), min=0).sum() / d

    def covariance(z):
        zc = z - z.mean(dim=0, keepdim=True)
        total = 0.0
        for j in range(d):
            for k in range(d):
                if j != k:
                    total = total + ((zc[:, j] * zc[:, k]).sum() / (n - 1)) ** 2
        return total / d

    s = ((z1 - z2) ** 2).mean()
    v = variance(z1) + variance(z2)
    c = covariance(z1) + covariance(z2)
    return sim_coeff * s + std_coeff * v + cov_coeff * c
""",
    "knn_impl": """
def knn_predict(train_z, train_y, query_z, k=5):
    t = F.normalize(train_z, dim=1)
    q = F.normalize(query_z, dim=1)
    sims = q @ t.T
    k = min(k, train_z.shape[0])
    out = []
    for row in sims:
        order = torch.sort(row, descending=True, stable=True).indices[:k].tolist()
        labels = [int(train_y[i]) for i in order]
        counts = {}
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
        best = max(counts.values())
        out.append(next(lab for lab in labels if counts[lab] == best))
    return torch.tensor(out, dtype=torch.int64, device=query_z.device)
""",
    "probe_impl": """
def linear_probe(train_z, train_y, test_z, n_classes, steps=100, lr=0.5, weight_decay=1e-3):
    z = train_z.detach()
    zt = test_z.detach()
    m = z.mean(dim=0)
    s = ((z - m) ** 2).mean(dim=0).sqrt()
    s = torch.where(s < 1e-12, torch.ones_like(s), s)
    x = (z - m) / s
    xt = (zt - m) / s
    n, d = x.shape
    W = torch.zeros(n_classes, d, dtype=x.dtype, device=x.device)
    b = torch.zeros(n_classes, dtype=x.dtype, device=x.device)
    Y = F.one_hot(train_y, n_classes).to(x.dtype)
    for _ in range(steps):
        P = torch.softmax(x @ W.T + b, dim=1)
        gW = (P - Y).T @ x / n + weight_decay * W
        gb = (P - Y).sum(dim=0) / n
        W = W - lr * gW
        b = b - lr * gb
    return xt @ W.T + b
""",
}
