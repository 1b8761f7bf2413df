"""Correct: the style of Grathwohl et al.'s code (logsumexp method, retain_graph in the
sampler, a buffer mixing fresh and stored rows with a float mask), Guo et al.'s float32
ECE loop and an AUROC from sorted scores."""

KIND = "correct"
CELLS = {
    "energy_impl": """
def energy_from_logits(logits):
    return -logits.logsumexp(1)


def class_energy(logits, y):
    return -torch.gather(logits, 1, y[:, None]).squeeze(1)
""",
    "sgld_step_impl": """
def sgld_step(x, energy_fn, step_size, noise_std=None, generator=None):
    sigma = math.sqrt(step_size) if noise_std is None else noise_std
    x_k = torch.autograd.Variable(x.detach().clone(), requires_grad=True)
    with torch.set_grad_enabled(True):
        f_prime = torch.autograd.grad(energy_fn(x_k).sum(), [x_k], retain_graph=True)[0]
    if generator is None:
        eps = torch.randn_like(x_k)
    else:
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    x_k.data -= step_size / 2 * f_prime
    x_k.data += sigma * eps
    return x_k.detach()
""",
    "replay_buffer_impl": """
class ReplayBuffer:
    def __init__(self, size, shape, reinit_freq=0.05, low=-1.0, high=1.0, generator=None):
        self.reinit_freq = reinit_freq
        self.size, self.shape, self.low, self.high = size, tuple(shape), low, high
        self.generator = generator
        self.buffer = self.random(size)

    def random(self, n):
        return torch.FloatTensor(n, *self.shape).uniform_(self.low, self.high, generator=self.generator)

    def sample(self, n):
        inds = torch.randint(0, self.size, (n,), generator=self.generator)
        buffer_samples = self.buffer[inds]
        random_samples = self.random(n)
        choose_random = (torch.rand(n, generator=self.generator) < self.reinit_freq).float()
        choose_random = choose_random.view(n, *([1] * len(self.shape)))
        samples = choose_random * random_samples + (1 - choose_random) * buffer_samples
        return samples, inds

    def update(self, idx, x):
        self.buffer[idx] = x.detach().cpu().to(self.buffer.dtype)
""",
    "jem_loss_impl": """
def jem_loss(model, x_lab, y_lab, x_data, x_sample, energy_reg=0.0):
    logits = model(x_lab)
    l_cls = nn.CrossEntropyLoss()(logits, y_lab)
    fp = -energy_from_logits(model(x_data))
    fq = -energy_from_logits(model(x_sample.detach()))
    l_p_x = -(fp.mean() - fq.mean())
    loss = l_cls + l_p_x + energy_reg * ((fp**2).mean() + (fq**2).mean())
    return loss, {"ce": l_cls.item(), "e_data": -fp.mean().item(), "e_sample": -fq.mean().item()}
""",
    "train_jem_impl": """
def train_jem(model, x, y, n_steps=200, batch_size=64, lr=1e-2, sgld_steps=10, step_size=1.0,
              noise_std=0.01, buffer_size=256, reinit_freq=0.05, low=-4.0, high=4.0,
              energy_reg=0.1, generator=None):
    replay_buffer = ReplayBuffer(buffer_size, tuple(x.shape[1:]), reinit_freq, low, high, generator)
    optim = torch.optim.Adam(model.parameters(), lr=lr)

    def f(x_k):
        return energy_from_logits(model(x_k))

    history = []
    while len(history) < n_steps:
        i = torch.randint(0, len(x), (batch_size,), generator=generator)
        x_q, buffer_inds = replay_buffer.sample(batch_size)
        x_q = x_q.to(x.device)
        for _ in range(sgld_steps):
            x_q = sgld_step(x_q, f, step_size, noise_std, generator)
        replay_buffer.update(buffer_inds, x_q)
        loss, stats = jem_loss(model, x[i], y[i], x[i], x_q, energy_reg)
        optim.zero_grad()
        loss.backward()
        optim.step()
        history.append(stats)
    return replay_buffer, history
""",
    "evaluation_impl": """
def expected_calibration_error(probs, labels, n_bins=10):
    bin_boundaries = torch.linspace(0, 1, n_bins + 1)
    confidences, predictions = torch.max(probs.float(), 1)
    accuracies = predictions.eq(labels)
    ece = torch.zeros(1)
    for bin_lower, bin_upper in zip(bin_boundaries[:-1], bin_boundaries[1:]):
        in_bin = confidences.gt(bin_lower.item()) * confidences.le(bin_upper.item())
        prop_in_bin = in_bin.float().mean()
        if prop_in_bin.item() > 0:
            accuracy_in_bin = accuracies[in_bin].float().mean()
            avg_confidence_in_bin = confidences[in_bin].mean()
            ece += torch.abs(avg_confidence_in_bin - accuracy_in_bin) * prop_in_bin
    return ece.item()


def ood_auroc(scores_in, scores_out):
    # sweep thresholds from high to low; trapezoids handle ties exactly
    s = torch.cat([scores_in, scores_out]).double()
    is_in = torch.cat([torch.ones(len(scores_in)), torch.zeros(len(scores_out))]).double()
    order = torch.argsort(s, descending=True)
    s, is_in = s[order], is_in[order]
    last = torch.ones(len(s), dtype=torch.bool)
    last[:-1] = s[1:] != s[:-1]
    tp = torch.cumsum(is_in, 0)[last]
    fp = torch.cumsum(1 - is_in, 0)[last]
    tpr = torch.cat([torch.zeros(1, dtype=torch.float64), tp / len(scores_in)])
    fpr = torch.cat([torch.zeros(1, dtype=torch.float64), fp / len(scores_out)])
    return float(torch.trapezoid(tpr, fpr))
""",
}
