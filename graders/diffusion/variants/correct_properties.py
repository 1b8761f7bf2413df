"""Correct: a schedule whose derived tensors are read-only properties, coefficient
indexing with [(...,) + (None,) * k], full-shape variances, explicit float32 casts."""

KIND = "correct"
CELLS = {
    "schedules_impl": """
def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    steps = torch.arange(T, dtype=torch.float64)
    return beta_start + (beta_end - beta_start) * steps / (T - 1)


def cosine_beta_schedule(T, s=0.008):
    def f(tau):
        return torch.cos((tau / T + s) / (1 + s) * (math.pi / 2)).pow(2)

    t = torch.arange(T, dtype=torch.float64)
    return torch.clip(1 - f(t + 1) / f(t), 0, 0.999)
""",
    "diffusion_schedule_impl": """
class DiffusionSchedule:
    def __init__(self, betas):
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.num_timesteps = self.betas.shape[0]

    @property
    def alphas(self):
        return 1 - self.betas

    @property
    def alphas_cumprod(self):
        return torch.exp(torch.cumsum(torch.log(self.alphas), 0))

    @property
    def alphas_cumprod_prev(self):
        return torch.roll(self.alphas_cumprod, 1).index_fill(0, torch.tensor([0]), 1.0)

    @property
    def posterior_variance(self):
        return self.betas * (1 - self.alphas_cumprod_prev) / (1 - self.alphas_cumprod)

    @property
    def posterior_mean_coef1(self):
        return self.betas * self.alphas_cumprod_prev ** 0.5 / (1 - self.alphas_cumprod)

    @property
    def posterior_mean_coef2(self):
        return (1 - self.alphas_cumprod_prev) * self.alphas ** 0.5 / (1 - self.alphas_cumprod)
""",
    "q_sample_impl": """
def coefficient(values, t, x):
    return values[t][(...,) + (None,) * (x.ndim - 1)].type_as(x)


def q_sample(x0, t, noise, sched):
    ab = coefficient(sched.alphas_cumprod, t, x0)
    return torch.sqrt(ab) * x0 + torch.sqrt(1 - ab) * noise
""",
    "posterior_impl": """
def predict_x0_from_eps(xt, t, eps, sched):
    ab = coefficient(sched.alphas_cumprod, t, xt)
    return xt / ab.sqrt() - eps * ((1 - ab) / ab).sqrt()


def q_posterior_mean_variance(x0, xt, t, sched):
    c1 = coefficient(sched.posterior_mean_coef1, t, xt)
    c2 = coefficient(sched.posterior_mean_coef2, t, xt)
    var = coefficient(sched.posterior_variance, t, xt).expand_as(xt)
    return torch.addcmul(c2 * xt, c1, x0), var
""",
    "ddpm_loss_impl": """
def ddpm_loss(model, x0, sched, t=None, noise=None, generator=None):
    if t is None:
        t = torch.randint(low=0, high=len(sched.betas), size=x0.shape[:1], generator=generator)
    if noise is None:
        noise = torch.empty_like(x0).normal_(generator=generator)
    residual = model(q_sample(x0, t, noise, sched), t) - noise
    return residual.pow(2).sum() / residual.numel()
""",
    "sampling_impl": """
def p_sample_step(model, xt, t, sched, generator=None):
    with torch.inference_mode():
        t_batch = torch.tensor([t] * xt.shape[0])
        x0_hat = predict_x0_from_eps(xt, t_batch, model(xt, t_batch), sched)
        mean, var = q_posterior_mean_variance(x0_hat, xt, t_batch, sched)
        if t > 0:
            mean = mean + var.sqrt() * torch.randn(xt.shape, generator=generator).to(xt.dtype)
        return mean


def p_sample_loop(model, shape, sched, generator=None):
    x = torch.randn(shape, generator=generator, dtype=torch.float32)
    for t in range(len(sched.betas))[::-1]:
        x = p_sample_step(model, x, t, sched, generator=generator)
    return x
""",
    "network_impl": """
def timestep_embedding(t, dim):
    half = dim // 2
    i = torch.arange(half, dtype=torch.float32)
    angles = t[:, None].to(torch.float32) / (10000.0 ** (i / half))[None, :]
    emb = torch.zeros(t.shape[0], dim)
    emb[:, :half] = torch.sin(angles)
    emb[:, half:2 * half] = torch.cos(angles)
    return emb


class EpsMLP(nn.Module):
    def __init__(self, data_dim=2, hidden_dim=128, time_dim=32):
        super().__init__()
        self.time_dim = time_dim
        self.blocks = nn.ModuleList([nn.Linear(hidden_dim, hidden_dim) for _ in range(2)])
        self.time_proj = nn.ModuleList([nn.Linear(time_dim, hidden_dim) for _ in range(2)])
        self.inp = nn.Linear(data_dim, hidden_dim)
        self.out = nn.Linear(hidden_dim, data_dim)

    def forward(self, x, t):
        emb = timestep_embedding(t, self.time_dim).to(x)
        h = self.inp(x)
        for block, proj in zip(self.blocks, self.time_proj):
            h = h + block(F.silu(h + proj(emb)))
        return self.out(F.silu(h))
""",
    "ddim_impl": """
def ddim_step(model, xt, t, t_prev, sched):
    with torch.no_grad():
        t_batch = torch.tensor([t] * xt.shape[0])
        eps = model(xt, t_batch)
        x0_hat = predict_x0_from_eps(xt, t_batch, eps, sched)
        a_prev = 1.0 if t_prev == -1 else float(sched.alphas_cumprod[t_prev])
        return a_prev ** 0.5 * x0_hat + (1 - a_prev) ** 0.5 * eps


def ddim_sample(model, shape, sched, num_steps, generator=None):
    steps = ddim_timesteps(len(sched.betas), num_steps)
    x = torch.randn(shape, generator=generator)
    pairs = list(zip(steps, [-1] + steps[:-1]))
    for t, t_prev in reversed(pairs):
        x = ddim_step(model, x, t, t_prev, sched)
    return x
""",
}
