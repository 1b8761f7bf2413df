"""Correct: hand-written max-shifted logsumexp and indexing, torch.func.grad in SGLD, a
buffer written with index_copy_ and a Bernoulli mask, one forward pass in jem_loss,
bucketised ECE and a rank-based AUROC."""

KIND = "correct"
CELLS = {
    "energy_impl": """
def energy_from_logits(logits):
    m = logits.max(dim=1, keepdim=True).values
    return -(m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1)))


def class_energy(logits, y):
    return -logits[torch.arange(logits.shape[0], device=logits.device), y]
""",
    "sgld_step_impl": """
def sgld_step(x, energy_fn, step_size, noise_std=None, generator=None):
    sigma = step_size**0.5 if noise_std is None else noise_std
    grad = torch.func.grad(lambda z: energy_fn(z).sum())(x.detach())
    if generator is not None:
        xi = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    else:
        xi = torch.randn_like(x)
    # func.grad's result still depends on the model's parameters: detach it
    return (x.detach() - step_size / 2 * grad + sigma * xi).detach()
""",
    "sgld_sample_impl": """
def sgld_sample(energy_fn, x0, n_steps, step_size, noise_std=None, generator=None):
    x = x0.detach()
    for _ in range(n_steps):
        x = sgld_step(x, energy_fn, step_size, noise_std=noise_std, generator=generator)
    return x.clone()
""",
    "replay_buffer_impl": """
class ReplayBuffer:
    def __init__(self, size, shape, reinit_freq=0.05, low=-1.0, high=1.0, generator=None):
        self.shape, self.low, self.high = tuple(shape), low, high
        self.reinit_freq, self.generator = reinit_freq, generator
        self.buffer = self.noise(size)

    def noise(self, n):
        return torch.empty((n, *self.shape)).uniform_(self.low, self.high, generator=self.generator)

    def sample(self, n):
        reinit = torch.bernoulli(torch.full((n,), float(self.reinit_freq)), generator=self.generator)
        idx = torch.randint(len(self.buffer), (n,), generator=self.generator, dtype=torch.int64)
        fresh = self.noise(n)
        mask = reinit.bool().reshape(n, *([1] * len(self.shape)))
        return torch.where(mask, fresh, self.buffer.index_select(0, idx)), idx

    def update(self, idx, x):
        self.buffer.index_copy_(0, idx.to(torch.int64).cpu(), x.detach().cpu().to(self.buffer.dtype))
""",
    "jem_loss_impl": """
def jem_loss(model, x_lab, y_lab, x_data, x_sample, energy_reg=0.0):
    n, m = len(x_lab), len(x_data)
    logits = model(torch.cat([x_lab, x_data, x_sample.detach()]))
    ce = F.cross_entropy(logits[:n], y_lab)
    energies = energy_from_logits(logits[n:])
    e_data, e_sample = energies[:m], energies[m:]
    loss = ce + e_data.mean() - e_sample.mean()
    loss = loss + energy_reg * (e_data.pow(2).mean() + e_sample.pow(2).mean())
    stats = dict(ce=float(ce), e_data=float(e_data.mean()), e_sample=float(e_sample.mean()))
    return loss, stats
""",
    "train_jem_impl": """
def train_jem(model, x, y, n_steps=200, batch_size=64, lr=1e-2, sgld_steps=10, step_size=1.0,
              noise_std=0.01, buffer_size=256, reinit_freq=0.05, low=-4.0, high=4.0,
              energy_reg=0.1, generator=None):
    buffer = ReplayBuffer(buffer_size, x.shape[1:], reinit_freq, low, high, generator)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(n_steps):
        x0, idx = buffer.sample(batch_size)
        x_s = sgld_sample(lambda z: energy_from_logits(model(z)), x0.to(x.device), sgld_steps,
                          step_size, noise_std=noise_std, generator=generator)
        buffer.update(idx, x_s)
        batch = torch.randint(0, len(x), (batch_size,), generator=generator)
        loss, stats = jem_loss(model, x[batch], y[batch], x[batch], x_s, energy_reg=energy_reg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(stats)
    return buffer, history
""",
    "evaluation_impl": """
def expected_calibration_error(probs, labels, n_bins=10):
    conf, pred = probs.double().max(dim=1)
    correct = (pred == labels).double()
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64)
    bins = torch.bucketize(conf, edges[1:-1], right=False)
    total = torch.zeros((), dtype=torch.float64)
    for b in bins.unique():
        sel = bins == b
        total = total + sel.sum() / len(conf) * (correct[sel].mean() - conf[sel].mean()).abs()
    return total.item()


def ood_auroc(scores_in, scores_out):
    s = torch.cat([scores_in, scores_out]).double()
    values, inverse, counts = torch.unique(s, return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).double()
    midrank = ends - (counts.double() - 1) / 2
    n_in, n_out = len(scores_in), len(scores_out)
    u = midrank[inverse[:n_in]].sum() - n_in * (n_in + 1) / 2
    return float(u / (n_in * n_out))
""",
}
