"""Correct, written from the student text alone: gather-free index shifts, a -inf masked
log-softmax, torch.cov for VICReg, a k-NN scored as in the competition's evaluation, and
a probe with torch.optim.SGD and a weight-decay parameter group."""

KIND = "correct"
CELLS = {
    "augment_impl": """
def random_shift(x, max_shift, generator=None):
    n, length = x.shape
    s = torch.randint(-max_shift, max_shift + 1, (n,), generator=generator).to(x.device)
    j = torch.arange(length, device=x.device).expand(n, length)
    src = torch.remainder(j - s[:, None], length)
    rows = torch.arange(n, device=x.device)[:, None]
    return x[rows, src]


def random_scale(x, low, high, generator=None):
    u = torch.rand(x.shape[0], generator=generator, dtype=x.dtype).to(x.device)
    return (low + (high - low) * u).reshape(-1, 1) * x


def add_noise(x, std, generator=None):
    xi = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x + std * xi.to(x.device)


def augment(x, generator=None, max_shift=4, low=0.8, high=1.2, noise_std=0.05):
    return add_noise(random_scale(random_shift(x, max_shift, generator), low, high, generator),
                     noise_std, generator)
""",
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    n = len(z1)
    u = F.normalize(torch.cat((z1, z2)), dim=-1)
    logits = torch.mm(u, u.t()) / temperature
    eye = torch.eye(2 * n, device=u.device, dtype=torch.bool)
    logits = torch.where(eye, torch.full_like(logits, float("-inf")), logits)
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    idx = torch.arange(2 * n, device=u.device)
    pos = (idx + n) % (2 * n)
    return -log_prob[idx, pos].mean()
""",
    "vicreg_impl": """
def vicreg_loss(z1, z2, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, gamma=1.0, eps=1e-4):
    d = z1.shape[1]
    off = ~torch.eye(d, dtype=torch.bool, device=z1.device)

    def terms(z):
        cov = torch.cov(z.T)
        std = torch.sqrt(torch.diagonal(cov) + eps)
        return F.relu(gamma - std).mean(), (cov[off] ** 2).sum() / d

    v1, c1 = terms(z1)
    v2, c2 = terms(z2)
    return sim_coeff * F.mse_loss(z1, z2) + std_coeff * (v1 + v2) + cov_coeff * (c1 + c2)
""",
    "knn_impl": """
def knn_predict(train_z, train_y, query_z, k=5):
    sims = F.normalize(query_z, dim=1) @ F.normalize(train_z, dim=1).T
    k = min(k, len(train_z))
    nearest = torch.argsort(-sims, dim=1, stable=True)[:, :k]
    labels = train_y.to(query_z.device)[nearest]
    classes = int(train_y.max()) + 1
    m = len(query_z)
    rows = torch.arange(m, device=query_z.device)
    votes = torch.zeros(m, classes, dtype=torch.int64, device=query_z.device)
    first = torch.full((m, classes), k, dtype=torch.int64, device=query_z.device)
    for rank in range(k):
        lab = labels[:, rank]
        votes[rows, lab] += 1
        first[rows, lab] = torch.minimum(first[rows, lab], torch.full_like(lab, rank))
    return (votes * (k + 1) + (k - first)).argmax(dim=1)
""",
    "probe_impl": """
def linear_probe(train_z, train_y, test_z, n_classes, steps=100, lr=0.5, weight_decay=1e-3):
    with torch.no_grad():
        mu = train_z.mean(0, keepdim=True)
        sd = train_z.std(0, unbiased=False, keepdim=True)
        sd[sd < 1e-12] = 1.0
        x = (train_z - mu) / sd
        xt = (test_z - mu) / sd
    W = torch.zeros(n_classes, x.shape[1], dtype=x.dtype, device=x.device).requires_grad_()
    b = torch.zeros(n_classes, dtype=x.dtype, device=x.device).requires_grad_()
    opt = torch.optim.SGD([{"params": [W], "weight_decay": weight_decay},
                           {"params": [b], "weight_decay": 0.0}], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(F.linear(x, W, b), train_y).backward()
        opt.step()
    return F.linear(xt, W, b).detach()
""",
}
