"""Correct: explicit loops, numpy for the cosine schedule, Bayes' rule by precisions,
Ho et al.'s clipped log-variance with a noise mask, a concatenating MLP."""

KIND = "correct"
CELLS = {
    "schedules_impl": """
import numpy as np


def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    return torch.tensor(
        [beta_start + (beta_end - beta_start) * i / (T - 1) for i in range(T)], dtype=torch.float64
    )


def cosine_beta_schedule(T, s=0.008):
    tau = np.arange(T + 1, dtype=np.float64)
    f = np.cos((tau / T + s) / (1 + s) * np.pi / 2) ** 2
    betas = [1 - f[t + 1] / f[t] for t in range(T)]
    return torch.from_numpy(np.minimum(np.array(betas), 0.999))
""",
    "diffusion_schedule_impl": """
class DiffusionSchedule:
    def __init__(self, betas):
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.num_timesteps = self.betas.shape[0]
        T = self.num_timesteps
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.empty(T, dtype=torch.float64)
        running = 1.0
        for t in range(T):
            running = running * self.alphas[t].item()
            self.alphas_cumprod[t] = running
        self.alphas_cumprod_prev = F.pad(self.alphas_cumprod[:-1], (1, 0), value=1.0)
        self.posterior_variance = torch.zeros(T, dtype=torch.float64)
        self.posterior_mean_coef1 = torch.zeros(T, dtype=torch.float64)
        self.posterior_mean_coef2 = torch.zeros(T, dtype=torch.float64)
        for t in range(T):
            if t == 0:
                self.posterior_mean_coef1[t] = 1.0
                continue
            prior_precision = 1.0 / (1.0 - self.alphas_cumprod_prev[t])
            likelihood_precision = self.alphas[t] / self.betas[t]
            var = 1.0 / (prior_precision + likelihood_precision)
            self.posterior_variance[t] = var
            self.posterior_mean_coef1[t] = var * self.alphas_cumprod_prev[t].sqrt() * prior_precision
            self.posterior_mean_coef2[t] = var * self.alphas[t].sqrt() / self.betas[t]
""",
    "q_sample_impl": """
def q_sample(x0, t, noise, sched):
    rows = []
    for i in range(x0.shape[0]):
        ab = sched.alphas_cumprod[int(t[i])].item()
        rows.append(math.sqrt(ab) * x0[i] + math.sqrt(1 - ab) * noise[i])
    return torch.stack(rows)
""",
    "posterior_impl": """
def predict_x0_from_eps(xt, t, eps, sched):
    rows = []
    for i in range(xt.shape[0]):
        ab = sched.alphas_cumprod[int(t[i])].item()
        rows.append((xt[i] - math.sqrt(1 - ab) * eps[i]) / math.sqrt(ab))
    return torch.stack(rows)


def q_posterior_mean_variance(x0, xt, t, sched):
    means, variances = [], []
    for i in range(xt.shape[0]):
        ti = int(t[i])
        c1 = sched.posterior_mean_coef1[ti].item()
        c2 = sched.posterior_mean_coef2[ti].item()
        means.append(c1 * x0[i] + c2 * xt[i])
        variances.append(torch.full_like(xt[i], sched.posterior_variance[ti].item()))
    return torch.stack(means), torch.stack(variances)
""",
    "ddpm_loss_impl": """
def ddpm_loss(model, x0, sched, t=None, noise=None, generator=None):
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    if t is None:
        t = torch.randint(sched.num_timesteps, (x0.shape[0],), generator=generator)
    prediction = model(q_sample(x0, t, noise, sched), t)
    return ((prediction - noise) ** 2).mean()
""",
    "sampling_impl": """
def p_sample_step(model, xt, t, sched, generator=None):
    with torch.no_grad():
        tt = torch.full((xt.shape[0],), t, dtype=torch.long)
        eps = model(xt, tt)
        x0_hat = predict_x0_from_eps(xt, tt, eps, sched)
        mean, _ = q_posterior_mean_variance(x0_hat, xt, tt, sched)
        pv = sched.posterior_variance
        log_var = torch.log(torch.cat([pv[1:2], pv[1:]]))[t].item()
        nonzero = 0.0 if t == 0 else 1.0
        z = torch.randn(xt.shape, generator=generator, dtype=xt.dtype)
        return mean + nonzero * math.exp(0.5 * log_var) * z


def p_sample_loop(model, shape, sched, generator=None):
    with torch.no_grad():
        x = torch.randn(*shape, generator=generator)
        t = sched.num_timesteps - 1
        while t >= 0:
            x = p_sample_step(model, x, t, sched, generator=generator)
            t -= 1
        return x
""",
    "network_impl": """
def timestep_embedding(t, dim):
    half = dim // 2
    columns = []
    for fn in (torch.sin, torch.cos):
        for i in range(half):
            omega = 10000.0 ** (-i / half)
            columns.append(fn(t.to(torch.float64) * omega))
    if dim % 2 == 1:
        columns.append(torch.zeros(t.shape[0], dtype=torch.float64))
    return torch.stack(columns, dim=1).float()


class EpsMLP(nn.Module):
    def __init__(self, data_dim=2, hidden_dim=128, time_dim=32):
        super().__init__()
        self.time_dim = time_dim
        self.layers = nn.Sequential(
            nn.Linear(data_dim + time_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, hidden_dim),
            nn.ReLU(),
            nn.Linear(hidden_dim, data_dim),
        )

    def forward(self, x, t):
        return self.layers(torch.cat([x, timestep_embedding(t, self.time_dim)], dim=1))
""",
    "ddim_impl": """
def ddim_step(model, xt, t, t_prev, sched):
    with torch.no_grad():
        tt = torch.full((xt.shape[0],), t, dtype=torch.long)
        eps = model(xt, tt)
        x0_hat = predict_x0_from_eps(xt, tt, eps, sched)
        if t_prev < 0:
            return x0_hat
        ab_prev = sched.alphas_cumprod[t_prev].item()
        return math.sqrt(ab_prev) * x0_hat + math.sqrt(1 - ab_prev) * eps


def ddim_sample(model, shape, sched, num_steps, generator=None):
    steps = ddim_timesteps(sched.num_timesteps, num_steps)
    x = torch.randn(*shape, generator=generator)
    previous = [-1] + steps[:-1]
    for t, t_prev in zip(steps[::-1], previous[::-1]):
        x = ddim_step(model, x, t, t_prev, sched)
    return x
""",
}
