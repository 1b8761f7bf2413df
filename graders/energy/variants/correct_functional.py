"""Correct: energies through log_softmax and one-hot masks, autograd.grad with
grad_outputs, a sampler with its own loop, a buffer updated row by row, numpy ECE and a
pairwise-count AUROC in plain Python; OOD scores by vmap of torch.func.grad."""

KIND = "correct"
CELLS = {
    "energy_impl": """
def energy_from_logits(logits):
    # logsumexp(f) = f_0 - log_softmax(f)_0
    return -(logits[:, 0] - F.log_softmax(logits, dim=1)[:, 0])


def class_energy(logits, y):
    mask = F.one_hot(y.long(), logits.shape[1]).to(torch.bool)
    return -logits.masked_select(mask)
""",
    "sgld_step_impl": """
def sgld_step(x, energy_fn, step_size, noise_std=None, generator=None):
    if generator is None:
        noise = torch.randn_like(x)
    else:
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    scale = math.sqrt(step_size) if noise_std is None else float(noise_std)
    with torch.enable_grad():
        z = x.detach().clone().requires_grad_()
        e = energy_fn(z)
        g = torch.autograd.grad(e, z, grad_outputs=torch.ones_like(e))[0]
    with torch.no_grad():
        return x - (0.5 * step_size) * g + scale * noise
""",
    "sgld_sample_impl": """
def sgld_sample(energy_fn, x0, n_steps, step_size, noise_std=None, generator=None):
    scale = math.sqrt(step_size) if noise_std is None else noise_std
    x = x0.detach().clone()
    for _ in range(n_steps):
        with torch.enable_grad():
            z = x.requires_grad_(True)
            (g,) = torch.autograd.grad(energy_fn(z).sum(), z)
        if generator is None:
            xi = torch.randn_like(x)
        else:
            xi = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
        x = (x.detach() - step_size / 2 * g + scale * xi).detach()
    return x
""",
    "replay_buffer_impl": """
class ReplayBuffer:
    def __init__(self, size, shape, reinit_freq=0.05, low=-1.0, high=1.0, generator=None):
        self.size = size
        self.shape = list(shape)
        self.reinit_freq = reinit_freq
        self.low = low
        self.high = high
        self.generator = generator
        self.buffer = low + (high - low) * torch.rand([size] + self.shape, generator=generator)

    def sample(self, n):
        redo = torch.rand(n, generator=self.generator) < self.reinit_freq
        idx = torch.randint(0, self.size, (n,), generator=self.generator)
        rows = []
        for i in range(n):
            if redo[i]:
                u = torch.rand(self.shape, generator=self.generator)
                rows.append(self.low + (self.high - self.low) * u)
            else:
                rows.append(self.buffer[int(idx[i])].clone())
        return torch.stack(rows), idx

    def update(self, idx, x):
        x = x.detach().cpu().float()
        for row, i in enumerate(idx.tolist()):
            self.buffer[i] = x[row]
""",
    "jem_loss_impl": """
def jem_loss(model, x_lab, y_lab, x_data, x_sample, energy_reg=0.0):
    ce = F.nll_loss(F.log_softmax(model(x_lab), dim=1), y_lab)
    with torch.no_grad():
        fixed = x_sample.detach().clone()
    e_pos = energy_from_logits(model(x_data))
    e_neg = energy_from_logits(model(fixed))
    generative = e_pos.mean() - e_neg.mean()
    penalty = (e_pos**2).mean() + (e_neg**2).mean() if energy_reg > 0 else 0.0
    loss = ce + generative + energy_reg * penalty
    return loss, {"ce": ce.item(), "e_data": e_pos.mean().item(), "e_sample": e_neg.mean().item()}
""",
    "train_jem_impl": """
def train_jem(model, x, y, n_steps=200, batch_size=64, lr=1e-2, sgld_steps=10, step_size=1.0,
              noise_std=0.01, buffer_size=256, reinit_freq=0.05, low=-4.0, high=4.0,
              energy_reg=0.1, generator=None):
    replay = ReplayBuffer(buffer_size, x.shape[1:], reinit_freq=reinit_freq, low=low, high=high,
                          generator=generator)
    optim = torch.optim.Adam(model.parameters(), lr=lr)
    energy = lambda z: energy_from_logits(model(z))  # noqa: E731
    log = []
    for _ in range(n_steps):
        pick = torch.randint(0, x.shape[0], (batch_size,), generator=generator)
        start, rows = replay.sample(batch_size)
        x_neg = sgld_sample(energy, start.to(x.device), sgld_steps, step_size, noise_std, generator)
        replay.update(rows, x_neg)
        model.zero_grad()
        loss, stats = jem_loss(model, x[pick], y[pick], x[pick], x_neg, energy_reg)
        loss.backward()
        optim.step()
        log.append(stats)
    return replay, log
""",
    "evaluation_impl": """
import numpy as np


def expected_calibration_error(probs, labels, n_bins=10):
    p = probs.detach().cpu().numpy().astype(np.float64)
    conf, pred = p.max(axis=1), p.argmax(axis=1)
    hit = (pred == labels.cpu().numpy()).astype(np.float64)
    which = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        sel = which == b
        if sel.sum() > 0:
            ece += sel.mean() * abs(hit[sel].mean() - conf[sel].mean())
    return float(ece)


def ood_auroc(scores_in, scores_out):
    s_in, s_out = scores_in.tolist(), scores_out.tolist()
    total = 0.0
    for a in s_in:
        for b in s_out:
            total += 1.0 if a > b else 0.5 if a == b else 0.0
    return total / (len(s_in) * len(s_out))
""",
    "ood_scores_impl": '''
def ood_scores(model, x):
    """vmap of torch.func.grad over the samples; probabilities via log_softmax."""
    was_training = model.training
    model.eval()

    def neg_energy(xi):
        return torch.logsumexp(model(xi.unsqueeze(0)), dim=1).squeeze(0)

    with torch.enable_grad():
        grads = torch.func.vmap(torch.func.grad(neg_energy))(x.detach())
    with torch.no_grad():
        logits = model(x)
        scores = {
            "max_softmax": F.log_softmax(logits, dim=1).max(dim=1).values.exp(),
            "neg_energy": torch.logsumexp(logits, dim=1),
            "grad_norm": torch.linalg.vector_norm(grads.reshape(x.shape[0], -1), dim=1),
        }
    model.train(was_training)
    return scores
''',
}
