"""Correct, written from the student text alone: manual logsumexp, one model call on data+samples, rank-based AUROC, loop ECE, OOD gradients through grad_outputs."""

KIND = "correct"
CELLS = {
    "energy_impl": '''
def energy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """E(x) = -logsumexp_y f(x)[y]: logits (N, C) -> energies (N,)."""
    m = logits.amax(dim=1, keepdim=True)
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return -lse


def class_energy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """E(x, y) = -f(x)[y]: logits (N, C), integer labels y (N,) -> energies (N,)."""
    rows = torch.arange(logits.shape[0], device=logits.device)
    return -logits[rows, y.long()]
''',
    "sgld_step_impl": '''
def sgld_step(
    x: torch.Tensor,
    energy_fn,
    step_size: float,
    noise_std: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One Langevin step x - step_size/2 * grad E(x) + noise_std * xi (noise_std None: sqrt(step_size))."""
    sigma = math.sqrt(step_size) if noise_std is None else noise_std
    with torch.enable_grad():
        z = x.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(energy_fn(z).sum(), z)
    if generator is None:
        xi = torch.randn_like(x)
    else:
        xi = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    with torch.no_grad():
        return x.detach() - (step_size / 2) * grad + sigma * xi
''',
    "sgld_sample_impl": '''
def sgld_sample(
    energy_fn,
    x0: torch.Tensor,
    n_steps: int,
    step_size: float,
    noise_std: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Run n_steps of sgld_step from x0 and return the final samples (detached)."""
    x = x0.detach().clone()
    for _ in range(n_steps):
        x = sgld_step(x, energy_fn, step_size, noise_std, generator)
    return x
''',
    "replay_buffer_impl": '''
class ReplayBuffer:
    """Persistent SGLD chains: a tensor `buffer` of shape (size, *shape)."""

    def __init__(
        self,
        size: int,
        shape: tuple[int, ...],
        reinit_freq: float = 0.05,
        low: float = -1.0,
        high: float = 1.0,
        generator: torch.Generator | None = None,
    ):
        self.size = size
        self.shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.reinit_freq = reinit_freq
        self.low = low
        self.high = high
        self.generator = generator
        self.buffer = self._uniform(size)

    def _uniform(self, n):
        return self.low + (self.high - self.low) * torch.rand(
            (n, *self.shape), generator=self.generator
        )

    def sample(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """n rows (copies), each re-initialised with probability reinit_freq; and their indices."""
        idx = torch.randint(0, self.size, (n,), generator=self.generator, dtype=torch.int64)
        x = self.buffer[idx].clone()
        fresh = torch.rand(n, generator=self.generator) < self.reinit_freq
        n_fresh = int(fresh.sum())
        if n_fresh:
            x[fresh] = self._uniform(n_fresh).to(x.dtype)
        return x, idx

    def update(self, idx: torch.Tensor, x: torch.Tensor) -> None:
        """Write the new chain states x back into rows idx."""
        idx = idx.to(self.buffer.device)
        self.buffer[idx] = x.detach().to(dtype=self.buffer.dtype, device=self.buffer.device)
''',
    "jem_loss_impl": '''
def jem_loss(
    model: nn.Module,
    x_lab: torch.Tensor,
    y_lab: torch.Tensor,
    x_data: torch.Tensor,
    x_sample: torch.Tensor,
    energy_reg: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy + E(data) - E(samples) (+ energy_reg * squared energies); and stats."""
    ce = F.cross_entropy(model(x_lab), y_lab)
    n = x_data.shape[0]
    energies = energy_from_logits(model(torch.cat([x_data, x_sample.detach()], dim=0)))
    e_data, e_sample = energies[:n], energies[n:]
    loss = ce + e_data.mean() - e_sample.mean()
    loss = loss + energy_reg * (e_data.pow(2).mean() + e_sample.pow(2).mean())
    stats = {
        "ce": ce.item(),
        "e_data": e_data.mean().item(),
        "e_sample": e_sample.mean().item(),
    }
    return loss, stats
''',
    "train_jem_impl": '''
def train_jem(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    n_steps: int = 200,
    batch_size: int = 64,
    lr: float = 1e-2,
    sgld_steps: int = 10,
    step_size: float = 1.0,
    noise_std: float | None = 0.01,
    buffer_size: int = 256,
    reinit_freq: float = 0.05,
    low: float = -4.0,
    high: float = 4.0,
    energy_reg: float = 0.1,
    generator: torch.Generator | None = None,
) -> tuple[ReplayBuffer, list[dict[str, float]]]:
    """Train model with the JEM objective; returns the replay buffer and per-step stats."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    buffer = ReplayBuffer(buffer_size, x.shape[1:], reinit_freq, low, high, generator)

    def energy(z):
        return energy_from_logits(model(z))

    history = []
    for _ in range(n_steps):
        pick = torch.randint(0, len(x), (batch_size,), generator=generator).to(x.device)
        x_b, y_b = x[pick], y[pick]
        x0, idx = buffer.sample(batch_size)
        x0 = x0.to(device=x.device, dtype=x.dtype)
        x_s = sgld_sample(energy, x0, sgld_steps, step_size, noise_std, generator)
        buffer.update(idx, x_s)
        loss, stats = jem_loss(model, x_b, y_b, x_b, x_s, energy_reg)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(stats)
    return buffer, history
''',
    "evaluation_impl": '''
def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, n_bins: int = 10) -> float:
    """ECE with n_bins equal-width confidence bins (b/M, (b+1)/M]."""
    conf, pred = probs.detach().max(dim=1)
    correct = (pred == labels.to(pred.device)).to(conf.dtype)
    total = conf.shape[0]
    ece = 0.0
    for b in range(n_bins):
        in_bin = (conf > b / n_bins) & (conf <= (b + 1) / n_bins)
        count = int(in_bin.sum())
        if count == 0:
            continue
        gap = correct[in_bin].mean().item() - conf[in_bin].mean().item()
        ece += count / total * abs(gap)
    return float(ece)


def ood_auroc(scores_in: torch.Tensor, scores_out: torch.Tensor) -> float:
    """P(score_in > score_out) + 0.5 P(equal): AUROC with in-distribution as positives."""
    s_in = scores_in.detach().flatten().double().cpu()
    s_out = scores_out.detach().flatten().double().cpu()
    n_in, n_out = s_in.numel(), s_out.numel()
    _, inverse, counts = torch.unique(torch.cat([s_in, s_out]), return_inverse=True, return_counts=True)
    ends = counts.cumsum(0).double()
    mid_ranks = ends - (counts.double() - 1) / 2
    rank_sum_in = mid_ranks[inverse[:n_in]].sum().item()
    return float((rank_sum_in - n_in * (n_in + 1) / 2) / (n_in * n_out))
''',
    "ood_scores_impl": '''
def ood_scores(model, x):
    """Per-sample grad through grad_outputs, norm over all but the batch dimension."""
    previous = model.training
    model.train(False)
    with torch.enable_grad():
        z = x.clone().detach()
        z.requires_grad_()
        logits = model(z)
        score = torch.logsumexp(logits, dim=-1)
        grad = torch.autograd.grad(score, z, grad_outputs=torch.ones_like(score))[0]
    model.train(previous)
    dims = tuple(range(1, grad.dim()))
    return {
        "grad_norm": grad.pow(2).sum(dim=dims).sqrt().detach(),
        "neg_energy": score.detach(),
        "max_softmax": F.softmax(logits.detach(), dim=-1).max(dim=-1)[0],
    }
''',
    "sample_class_impl": '''
def sample_class(model, y, x0, n_steps, step_size, noise_std=None, generator=None):
    """Labels indexed with arange; sgld_sample with a lambda."""
    rows = torch.arange(x0.shape[0], device=x0.device)
    if not torch.is_tensor(y):
        y = torch.tensor([y] * x0.shape[0])
    y = y.long().to(x0.device)
    return sgld_sample(
        lambda x: -model(x)[rows, y], x0, n_steps, step_size, noise_std=noise_std, generator=generator
    )
''',
}
