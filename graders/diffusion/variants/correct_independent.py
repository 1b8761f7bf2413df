"""Correct, written from the student text alone: reciprocal-sqrt x0 formula, float64 embedding, masked noise draws."""

KIND = "correct"
CELLS = {
    "schedules_impl": """
def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    '''β_t evenly spaced from beta_start to beta_end: float64 tensor of shape (T,).'''
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def cosine_beta_schedule(T, s=0.008):
    '''Nichol & Dhariwal's cosine schedule: float64 tensor of shape (T,), β clipped at 0.999.'''
    tau = torch.arange(T + 1, dtype=torch.float64)
    f = torch.cos((tau / T + s) / (1 + s) * (math.pi / 2)) ** 2
    betas = 1 - f[1:] / f[:-1]
    return betas.clamp(max=0.999)
""",
    "diffusion_schedule_impl": """
class DiffusionSchedule:
    '''All per-timestep constants of a diffusion process with the given betas (float64, shape (T,)).'''

    def __init__(self, betas):
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.num_timesteps = self.betas.shape[0]
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.alphas_cumprod_prev = torch.cat(
            [torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]]
        )
        self.sqrt_alphas_cumprod = self.alphas_cumprod.sqrt()
        self.sqrt_one_minus_alphas_cumprod = (1.0 - self.alphas_cumprod).sqrt()
        self.sqrt_recip_alphas_cumprod = (1.0 / self.alphas_cumprod).sqrt()
        self.sqrt_recipm1_alphas_cumprod = (1.0 / self.alphas_cumprod - 1.0).sqrt()
        one_minus = 1.0 - self.alphas_cumprod
        one_minus_prev = 1.0 - self.alphas_cumprod_prev
        self.posterior_variance = self.betas * one_minus_prev / one_minus
        self.posterior_mean_coef1 = self.betas * self.alphas_cumprod_prev.sqrt() / one_minus
        self.posterior_mean_coef2 = one_minus_prev * self.alphas.sqrt() / one_minus
""",
    "q_sample_impl": """
def extract(coef, t, x):
    '''coef[t] reshaped to (B, 1, ..., 1) to broadcast against x, in x's dtype and device.'''
    values = coef.to(t.device)[t]
    return values.view(-1, *([1] * (x.dim() - 1))).to(device=x.device, dtype=x.dtype)


def q_sample(x0, t, noise, sched):
    '''x_t = sqrt(ᾱ_t) x0 + sqrt(1 - ᾱ_t) noise, with t a LongTensor of shape (B,).'''
    signal = extract(sched.sqrt_alphas_cumprod, t, x0)
    spread = extract(sched.sqrt_one_minus_alphas_cumprod, t, x0)
    return signal * x0 + spread * noise
""",
    "posterior_impl": """
def predict_x0_from_eps(xt, t, eps, sched):
    '''x̂0 = (x_t - sqrt(1 - ᾱ_t) eps) / sqrt(ᾱ_t).'''
    return (
        extract(sched.sqrt_recip_alphas_cumprod, t, xt) * xt
        - extract(sched.sqrt_recipm1_alphas_cumprod, t, xt) * eps
    )


def q_posterior_mean_variance(x0, xt, t, sched):
    '''(mean, variance) of q(x_{t-1} | x_t, x0); variance has shape (B, 1, ..., 1).'''
    mean = extract(sched.posterior_mean_coef1, t, xt) * x0 + extract(
        sched.posterior_mean_coef2, t, xt
    ) * xt
    variance = extract(sched.posterior_variance, t, xt)
    return mean, variance
""",
    "ddpm_loss_impl": """
def ddpm_loss(model, x0, sched, t=None, noise=None, generator=None):
    '''Mean squared error between the true noise and model(x_t, t).'''
    batch = x0.shape[0]
    if t is None:
        t = torch.randint(0, sched.num_timesteps, (batch,), generator=generator).to(x0.device)
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
    xt = q_sample(x0, t, noise, sched)
    predicted = model(xt, t)
    return ((predicted - noise) ** 2).mean()
""",
    "sampling_impl": """
@torch.no_grad()
def p_sample_step(model, xt, t, sched, generator=None):
    '''One reverse step x_t -> x_{t-1} at the integer timestep t (no noise at t = 0).'''
    t_batch = torch.full((xt.shape[0],), t, dtype=torch.long, device=xt.device)
    eps = model(xt, t_batch)
    x0_hat = predict_x0_from_eps(xt, t_batch, eps, sched)
    mean, variance = q_posterior_mean_variance(x0_hat, xt, t_batch, sched)
    if t == 0:
        return mean
    z = torch.randn(xt.shape, generator=generator, dtype=xt.dtype).to(xt.device)
    return mean + variance.sqrt() * z


def _model_device(model):
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


@torch.no_grad()
def p_sample_loop(model, shape, sched, generator=None):
    '''Samples of the given shape: start from N(0, I) and step from t = T-1 down to 0.'''
    x = torch.randn(shape, generator=generator).to(_model_device(model))
    for t in range(sched.num_timesteps - 1, -1, -1):
        x = p_sample_step(model, x, t, sched, generator=generator)
    return x
""",
    "network_impl": """
def timestep_embedding(t, dim):
    '''Sinusoidal embedding [sin(t ω_i) | cos(t ω_i)], ω_i = 10000^(-i/half): float32 (B, dim).'''
    half = dim // 2
    i = torch.arange(half, dtype=torch.float64, device=t.device)
    omega = torch.exp(-math.log(10000.0) * i / half) if half > 0 else i
    angles = t.to(torch.float64)[:, None] * omega[None, :]
    parts = [torch.sin(angles), torch.cos(angles)]
    if dim % 2 == 1:
        parts.append(torch.zeros(t.shape[0], 1, dtype=torch.float64, device=t.device))
    return torch.cat(parts, dim=1).to(torch.float32)


class EpsMLP(nn.Module):
    '''Predicts the noise in x_t (B, data_dim) at timesteps t (B,).'''

    def __init__(self, data_dim=2, hidden_dim=128, time_dim=32):
        super().__init__()
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(
            nn.Linear(time_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, hidden_dim)
        )
        self.input_proj = nn.Linear(data_dim, hidden_dim)
        self.body = nn.Sequential(
            nn.SiLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.SiLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.SiLU(),
            nn.Linear(hidden_dim, data_dim),
        )

    def forward(self, x, t):
        temb = self.time_mlp(timestep_embedding(t, self.time_dim).to(x.dtype))
        return self.body(self.input_proj(x) + temb)
""",
    "ddim_impl": """
@torch.no_grad()
def ddim_step(model, xt, t, t_prev, sched):
    '''Deterministic DDIM jump from timestep t to t_prev (t_prev = -1: return x̂0).'''
    t_batch = torch.full((xt.shape[0],), t, dtype=torch.long, device=xt.device)
    eps = model(xt, t_batch)
    x0_hat = predict_x0_from_eps(xt, t_batch, eps, sched)
    if t_prev < 0:
        return x0_hat
    ab_prev = sched.alphas_cumprod[t_prev].item()
    return math.sqrt(ab_prev) * x0_hat + math.sqrt(1.0 - ab_prev) * eps


@torch.no_grad()
def ddim_sample(model, shape, sched, num_steps, generator=None):
    '''DDIM (eta = 0) samples of the given shape using num_steps network calls.'''
    steps = ddim_timesteps(sched.num_timesteps, num_steps)
    x = torch.randn(shape, generator=generator).to(_model_device(model))
    for i in range(len(steps) - 1, -1, -1):
        t_prev = steps[i - 1] if i > 0 else -1
        x = ddim_step(model, x, steps[i], t_prev, sched)
    return x
""",
}
