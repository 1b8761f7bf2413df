"""Correct, written from the student text alone, with other torch APIs: per-row rolls of a
list, factors and noise drawn in float32 and cast (an accepted reading of the draws),
NT-Xent as [positive | negatives] logits, VICReg with einsum, a k-NN with
F.cosine_similarity and Counter, and a zero-initialised nn.Linear probe."""

KIND = "correct"
CELLS = {
    "augment_impl": """
def random_shift(x, max_shift, generator=None):
    shifts = torch.randint(-max_shift, max_shift + 1, (x.shape[0],), generator=generator)
    out = torch.empty_like(x)
    for i, s in enumerate(shifts.tolist()):
        out[i] = torch.roll(x[i], s, dims=0)
    return out


def random_scale(x, low, high, generator=None):
    u = torch.rand(x.shape[0], generator=generator).to(dtype=x.dtype, device=x.device)
    return x * (low + (high - low) * u)[:, None]


def add_noise(x, std, generator=None):
    xi = torch.randn(x.shape, generator=generator).to(dtype=x.dtype, device=x.device)
    return x + std * xi


def augment(x, generator=None, max_shift=4, low=0.8, high=1.2, noise_std=0.05):
    for step in (lambda v: random_shift(v, max_shift, generator),
                 lambda v: random_scale(v, low, high, generator),
                 lambda v: add_noise(v, noise_std, generator)):
        x = step(x)
    return x
""",
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), p=2, dim=1, eps=1e-12)
    sim = (u @ u.T) / temperature
    idx = torch.arange(2 * n, device=u.device)
    pos = sim[idx, (idx + n) % (2 * n)]
    keep = ~torch.eye(2 * n, dtype=torch.bool, device=u.device)
    others = sim[keep].reshape(2 * n, 2 * n - 1)      # every b != a, positive included
    return (torch.logsumexp(others, dim=1) - pos).mean()
""",
    "vicreg_impl": """
def vicreg_loss(z1, z2, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, gamma=1.0, eps=1e-4):
    n, d = z1.shape
    total = sim_coeff * F.mse_loss(z1, z2, reduction="mean")
    for z in (z1, z2):
        zc = z - z.mean(0, keepdim=True)
        cov = torch.einsum("ni,nj->ij", zc, zc) / (n - 1)
        std = torch.sqrt(zc.pow(2).sum(0) / (n - 1) + eps)
        total = total + std_coeff * torch.clamp(gamma - std, min=0.0).mean()
        mask = 1 - torch.eye(d, dtype=z.dtype, device=z.device)
        total = total + cov_coeff * ((cov * mask) ** 2).sum() / d
    return total
""",
    "knn_impl": """
from collections import Counter


def knn_predict(train_z, train_y, query_z, k=5):
    sims = F.cosine_similarity(query_z[:, None, :], train_z[None, :, :], dim=-1)
    order = sims.argsort(dim=1, descending=True, stable=True)[:, :k]
    preds = []
    for row in order.tolist():
        labels = [int(train_y[j]) for j in row]
        counts = Counter(labels)
        top = max(counts.values())
        preds.append([lab for lab in labels if counts[lab] == top][0])
    return torch.as_tensor(preds, dtype=torch.long).to(query_z.device)
""",
    "probe_impl": """
def linear_probe(train_z, train_y, test_z, n_classes, steps=100, lr=0.5, weight_decay=1e-3):
    feats = train_z.detach()
    mu, sigma = feats.mean(0), feats.std(0, correction=0)
    sigma = torch.where(sigma < 1e-12, 1.0, sigma)
    x, xt = (feats - mu) / sigma, (test_z.detach() - mu) / sigma
    head = nn.Linear(x.shape[1], n_classes).to(dtype=x.dtype, device=x.device)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)
    opt = torch.optim.SGD([{"params": head.weight, "weight_decay": weight_decay},
                           {"params": head.bias}], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(head(x), train_y)
        loss.backward()
        opt.step()
    with torch.no_grad():
        return head(xt)
""",
}
