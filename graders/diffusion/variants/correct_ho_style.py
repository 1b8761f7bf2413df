"""Correct: Ho et al.'s code style (precomputed square roots, gather-based extract, the
direct mean formula 1/√α_t (x_t − β_t/√(1−ᾱ_t) ε)), FiLM-conditioned network."""

KIND = "correct"
CELLS = {
    "diffusion_schedule_impl": """
class DiffusionSchedule:
    def __init__(self, betas):
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.num_timesteps = self.betas.shape[0]
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = self.alphas.cumprod(0)
        self.alphas_cumprod_prev = torch.cat([self.alphas_cumprod.new_tensor([1.0]), self.alphas_cumprod[:-1]])
        self.sqrt_alphas_cumprod = torch.sqrt(self.alphas_cumprod)
        self.sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - self.alphas_cumprod)
        self.sqrt_recip_alphas_cumprod = torch.rsqrt(self.alphas_cumprod)
        self.sqrt_recipm1_alphas_cumprod = torch.sqrt(1.0 / self.alphas_cumprod - 1)
        self.posterior_variance = self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef1 = self.betas * torch.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.posterior_mean_coef2 = (1.0 - self.alphas_cumprod_prev) * torch.sqrt(self.alphas) / (1.0 - self.alphas_cumprod)
""",
    "q_sample_impl": """
def _gather(a, t, x_shape, like):
    out = a.gather(-1, t.cpu()).to(like)
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


def q_sample(x0, t, noise, sched):
    return (
        _gather(sched.alphas_cumprod, t, x0.shape, x0).sqrt() * x0
        + _gather(1.0 - sched.alphas_cumprod, t, x0.shape, x0).sqrt() * noise
    )
""",
    "posterior_impl": """
def predict_x0_from_eps(xt, t, eps, sched):
    return (
        _gather(1.0 / sched.alphas_cumprod, t, xt.shape, xt).sqrt() * xt
        - _gather(1.0 / sched.alphas_cumprod - 1, t, xt.shape, xt).sqrt() * eps
    )


def q_posterior_mean_variance(x0, xt, t, sched):
    mean = (
        _gather(sched.posterior_mean_coef1, t, xt.shape, xt) * x0
        + _gather(sched.posterior_mean_coef2, t, xt.shape, xt) * xt
    )
    variance = _gather(sched.posterior_variance, t, xt.shape, xt)
    return mean, variance
""",
    "ddpm_loss_impl": """
def ddpm_loss(model, x0, sched, t=None, noise=None, generator=None):
    b = x0.shape[0]
    t = torch.randint(0, sched.num_timesteps, (b,), generator=generator) if t is None else t
    noise = torch.randn(x0.shape, dtype=x0.dtype, generator=generator) if noise is None else noise
    x_noisy = q_sample(x0=x0, t=t, noise=noise, sched=sched)
    return F.mse_loss(noise, model(x_noisy, t), reduction="mean")
""",
    "sampling_impl": """
@torch.no_grad()
def p_sample_step(model, xt, t, sched, generator=None):
    b = xt.shape[0]
    tt = torch.full((b,), t, dtype=torch.long)
    eps = model(xt, tt)
    beta = sched.betas[t].item()
    mean = (xt - beta / math.sqrt(1 - sched.alphas_cumprod[t].item()) * eps) / math.sqrt(1 - beta)
    if t > 0:
        sigma = math.sqrt(sched.posterior_variance[t].item())
        mean = mean + sigma * torch.randn(xt.shape, generator=generator, dtype=xt.dtype)
    return mean


@torch.no_grad()
def p_sample_loop(model, shape, sched, generator=None):
    img = torch.randn(shape, generator=generator)
    for i in range(sched.num_timesteps - 1, -1, -1):
        img = p_sample_step(model, img, i, sched, generator)
    return img
""",
    "network_impl": """
def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(0, half, dtype=torch.float32) / half)
    args = torch.einsum("b,f->bf", t.float(), freqs)
    emb = torch.cat((args.sin(), args.cos()), dim=1)
    if dim % 2 == 1:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)
    return emb


class EpsMLP(nn.Module):
    def __init__(self, data_dim=2, hidden_dim=128, time_dim=32):
        super().__init__()
        self.time_dim = time_dim
        self.film = nn.Linear(time_dim, 2 * hidden_dim)
        self.inp = nn.Linear(data_dim, hidden_dim)
        self.mid = nn.Linear(hidden_dim, hidden_dim)
        self.out = nn.Linear(hidden_dim, data_dim)

    def forward(self, x, t):
        scale, shift = self.film(timestep_embedding(t, self.time_dim)).chunk(2, dim=1)
        h = F.gelu(self.inp(x)) * (1 + scale) + shift
        return self.out(F.gelu(self.mid(h)))
""",
    "ddim_impl": """
@torch.no_grad()
def ddim_step(model, xt, t, t_prev, sched):
    tt = torch.full((xt.shape[0],), t, dtype=torch.long)
    eps = model(xt, tt)
    ab = sched.alphas_cumprod
    ab_prev = ab[t_prev] if t_prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    x0 = (xt - (1 - ab[t]).sqrt().item() * eps) / ab[t].sqrt().item()
    direction = (1 - ab_prev).sqrt().item() * eps
    return ab_prev.sqrt().item() * x0 + direction


@torch.no_grad()
def ddim_sample(model, shape, sched, num_steps, generator=None):
    ts = ddim_timesteps(sched.num_timesteps, num_steps)
    x = torch.randn(shape, generator=generator)
    for i in range(len(ts) - 1, -1, -1):
        x = ddim_step(model, x, ts[i], -1 if i == 0 else ts[i - 1], sched)
    return x
""",
}
