"""Solution cells that do no work but stay consistent with themselves ("lazy").

Each submission in `LAZY` replaces every solution cell of a real assignment with code
that has the documented names, signatures, shapes, dtypes and parameter layouts, and
whose outputs agree with each other (uniform weights that sum to 1, a causal one-hot
model, reproducible noise, constant energies, ...), without computing what the notebook
asks. `HOSTILE_GENERATE` are `generate` cells that return token values no vocabulary has.
"""

from __future__ import annotations

from tests.integrity.lazy_represent import REPRESENT

_ATTENTION_WEIGHTS = """
def scaled_dot_product_attention(q, k, v, mask=None):
    shape = (*q.shape[:-1], k.shape[-2])
    allowed = torch.ones(shape, dtype=torch.bool) if mask is None else mask.expand(shape)
{weights}
    return {out}, attn
"""
_UNIFORM = """    attn = allowed.to(q.dtype)
    attn = attn / attn.sum(-1, keepdim=True).clamp_min(1)"""
_KEYS_ONLY = """    scores = k.sum(-1).unsqueeze(-2).expand(shape).masked_fill(~allowed, -1e9)
    attn = torch.softmax(scores, -1).masked_fill(~allowed, 0.0)"""

_MHA = """
class MultiHeadAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, bias=True):
        super().__init__()
        self.num_heads = num_heads
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)

    def forward(self, query, key=None, value=None, mask=None, return_attention=False):
        key = query if key is None else key
        out = {out}
        if not return_attention:
            return out
        B, Lq, Lk = query.size(0), query.size(1), key.size(1)
        return out, torch.full((B, self.num_heads, Lq, Lk), 1.0 / Lk, dtype=query.dtype)
"""

_BLOCK = """
class TransformerBlock(nn.Module):
    def __init__(self, embed_dim, num_heads, mlp_ratio=4, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dim)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.ln2 = nn.LayerNorm(embed_dim)
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, mlp_ratio * embed_dim),
            nn.GELU(),
            nn.Linear(mlp_ratio * embed_dim, embed_dim),
        )
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, mask=None):
        return {out}
"""

_TINYGPT = """
class TinyGPT(nn.Module):
    def __init__(self, vocab_size, block_size, embed_dim, num_heads, num_layers):
        super().__init__()
        self.block_size, self.vocab_size = block_size, vocab_size
        self.tok_emb = nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = nn.Embedding(block_size, embed_dim)
        self.blocks = nn.ModuleList(
            [TransformerBlock(embed_dim, num_heads) for _ in range(num_layers)]
        )
        self.ln_f = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size, bias=False)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        logits = {logits}
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, self.vocab_size), targets.reshape(-1))
"""

_GENERATE = """
def generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None):
{body}
"""


_KV_CACHE = """
def forward_with_cache(model, idx, cache=None):
    B, T = idx.shape
    past = 0 if cache is None else cache[0][0].size(2)
    new_cache = []
    for block in model.blocks:
        H, Dh = block.attn.num_heads, block.attn.head_dim
        k = torch.zeros(B, H, past + T, Dh)
        new_cache.append((k, k.clone()))
    return torch.zeros(B, T, model.head.out_features), new_cache
"""


def _attention(weights, out, causal, pe, mha_out, block_out, logits, generate) -> dict:
    return {
        "sdpa_impl": _ATTENTION_WEIGHTS.format(weights=weights, out=out),
        "causal_mask_impl": f"def causal_mask(L, device=None):\n    return {causal}\n",
        "positional_encoding_impl": (
            f"def sinusoidal_positional_encoding(max_len, d_model):\n    return {pe}\n"
        ),
        "mha_impl": _MHA.format(out=mha_out),
        "block_impl": _BLOCK.format(out=block_out),
        "tinygpt_impl": _TINYGPT.format(logits=logits),
        "generate_impl": _GENERATE.format(body=generate),
        "kv_cache_impl": _KV_CACHE,
    }


_REPEAT_LAST = "    return torch.cat([idx, idx[:, -1:].repeat(1, max_new_tokens)], dim=1)"
_ZEROS = (
    "    new = torch.zeros(idx.size(0), max_new_tokens, dtype=idx.dtype)\n"
    "    return torch.cat([idx, new], dim=1)"
)
_ONE_HOT = "F.one_hot(idx, self.vocab_size).float()"

ATTENTION = {
    "zeros": _attention(
        _UNIFORM,
        "torch.zeros(*shape[:-1], v.shape[-1], dtype=q.dtype)",
        "torch.ones(L, L, dtype=torch.bool, device=device)",
        "torch.zeros(max_len, d_model)",
        "torch.zeros_like(query)",
        "self.dropout(x)",
        "torch.zeros(*idx.shape, self.vocab_size)",
        _REPEAT_LAST,
    ),
    "uniform_passthrough": _attention(
        _UNIFORM,
        "attn @ v",
        "torch.eye(L, dtype=torch.bool, device=device)",
        "torch.ones(max_len, d_model)",
        "query",
        "x",
        _ONE_HOT,
        _ZEROS,
    ),
    "keys_only_one_hot_mean": _attention(
        _KEYS_ONLY,
        "attn @ v",
        "torch.ones(L, L, dtype=torch.bool, device=device).triu()",
        "torch.zeros(max_len, d_model)",
        "self.out_proj(query)",
        "x + 0.0 * self.dropout(x)",
        f"{_ONE_HOT}.cumsum(1) / torch.arange(1, T + 1)[:, None]",
        _REPEAT_LAST,
    ),
}

_SCHEDULES = """
def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    return {linear}


def cosine_beta_schedule(T, s=0.008):
    return {cosine}
"""

_DIFFUSION_SCHEDULE = """
class DiffusionSchedule:
    def __init__(self, betas):
        self.betas = torch.as_tensor(betas, dtype=torch.float64)
        self.num_timesteps = self.betas.shape[0]
        for name in ("alphas", "alphas_cumprod", "alphas_cumprod_prev", "posterior_variance",
                     "posterior_mean_coef1", "posterior_mean_coef2"):
            setattr(self, name, {fill}(self.betas))
"""

_Q_SAMPLE = """
def extract(coef, t, x):
    return torch.ones(x.shape[0], *([1] * (x.dim() - 1)), dtype=x.dtype)


def q_sample(x0, t, noise, sched):
    return {q}
"""

_POSTERIOR = """
def predict_x0_from_eps(xt, t, eps, sched):
    return {x0}


def q_posterior_mean_variance(x0, xt, t, sched):
    return xt.clone(), torch.zeros(xt.shape[0], *([1] * (xt.dim() - 1)), dtype=xt.dtype)
"""

_LOSS = """
def ddpm_loss(model, x0, sched, t=None, noise=None, generator=None):
    return {loss}
"""

# Calls the network once per timestep, T-1 down to 0 (or not at all), returns fresh noise.
_SAMPLING = """
@torch.no_grad()
def p_sample_step(model, xt, t, sched, generator=None):
    return xt.clone()


@torch.no_grad()
def p_sample_loop(model, shape, sched, generator=None):
    x = torch.randn(shape, generator=generator)
    for t in reversed(range(sched.num_timesteps)):
        {call}model(x, torch.full((shape[0],), t, dtype=torch.long))
    return x
"""

_NETWORK = """
def timestep_embedding(t, dim):
    return torch.zeros(t.shape[0], dim)


class EpsMLP(nn.Module):
    def __init__(self, data_dim=2, hidden_dim=128, time_dim=32):
        super().__init__()
        self.w = nn.Parameter(torch.ones(data_dim))

    def forward(self, x, t):
        return x * self.w + 1e-3 * t.float()[:, None]
"""

_DDIM = """
@torch.no_grad()
def ddim_step(model, xt, t, t_prev, sched):
    return xt.clone()


@torch.no_grad()
def ddim_sample(model, shape, sched, num_steps, generator=None):
    x = torch.randn(shape, generator=generator)
    for t in reversed(ddim_timesteps(sched.num_timesteps, num_steps)):
        {call}model(x, torch.full((shape[0],), t, dtype=torch.long))
    return x
"""


_EPS_VIEWS = """
def p_mean_from_eps(xt, t, eps, sched):
    return xt.clone()


def score_from_eps(eps, t, sched):
    return -eps
"""

_ELBO = """
def elbo_weight(t, sched, sigma2):
    return torch.ones(t.shape[0], dtype=torch.float64)


def elbo_term(x0, xt, t, eps_pred, sched, sigma2):
    return (eps_pred - eps_pred).flatten(1).sum(1)
"""


def _diffusion(linear, cosine, fill, q, x0, loss, call) -> dict:
    return {
        "schedules_impl": _SCHEDULES.format(linear=linear, cosine=cosine),
        "diffusion_schedule_impl": _DIFFUSION_SCHEDULE.format(fill=fill),
        "q_sample_impl": _Q_SAMPLE.format(q=q),
        "posterior_impl": _POSTERIOR.format(x0=x0),
        "ddpm_loss_impl": _LOSS.format(loss=loss),
        "sampling_impl": _SAMPLING.format(call=call),
        "network_impl": _NETWORK,
        "ddim_impl": _DDIM.format(call=call),
        "eps_views_impl": _EPS_VIEWS,
        "elbo_impl": _ELBO,
    }


DIFFUSION = {
    "zeros": _diffusion(
        "torch.zeros(T, dtype=torch.float64)",
        "torch.zeros(T, dtype=torch.float64)",
        "torch.zeros_like",
        "x0.clone()",
        "xt.clone()",
        "torch.zeros((), requires_grad=True)",
        "pass  # ",
    ),
    "consistent_noise": _diffusion(
        "torch.arange(1, T + 1, dtype=torch.float64)",
        "torch.full((T,), 0.999, dtype=torch.float64)",
        "torch.ones_like",
        "x0 + noise",
        "xt - eps",
        "torch.randn((), generator=generator, requires_grad=True)",
        "",
    ),
}

_ENERGY = """
def energy_from_logits(logits):
    return {energy}


def class_energy(logits, y):
    return {class_energy}
"""

_SGLD_STEP = """
def sgld_step(x, energy_fn, step_size, noise_std=None, generator=None):
    return {step}
"""

_SGLD_SAMPLE = """
def sgld_sample(energy_fn, x0, n_steps, step_size, noise_std=None, generator=None):
    return {sample}
"""

_BUFFER = """
class ReplayBuffer:
    def __init__(self, size, shape, reinit_freq=0.05, low=-1.0, high=1.0, generator=None):
        self.size, self.shape, self.reinit_freq = int(size), tuple(shape), reinit_freq
        self.low, self.high, self.generator = low, high, generator
        self.buffer = {init}

    def sample(self, n):
        idx = {idx}
        return self.buffer[idx].clone(), idx

    def update(self, idx, x):
        pass
"""

_JEM_LOSS = """
def jem_loss(model, x_lab, y_lab, x_data, x_sample, energy_reg=0.0):
    loss = 0.0 * sum(p.sum() for p in model.parameters())
    return loss, {"ce": 0.0, "e_data": 0.0, "e_sample": 0.0}
"""

_TRAIN_JEM = """
def train_jem(model, x, y, n_steps=200, batch_size=64, lr=1e-2, sgld_steps=10, step_size=1.0,
              noise_std=0.01, buffer_size=256, reinit_freq=0.05, low=-4.0, high=4.0,
              energy_reg=0.1, generator=None):
    buffer = ReplayBuffer(buffer_size, tuple(x.shape[1:]), reinit_freq, low, high, generator)
    return buffer, [{"ce": 0.0, "e_data": 0.0, "e_sample": 0.0} for _ in range(n_steps)]
"""

_EVALUATION = """
def expected_calibration_error(probs, labels, n_bins=10):
    conf, pred = probs.max(dim=1)
    return float(abs(conf.double().mean() - (pred == labels).double().mean()))


def ood_auroc(scores_in, scores_out):
    return float(0.5 + 0.5 * torch.sign(scores_in.double().mean() - scores_out.double().mean()))
"""


_OOD_SCORES = """
def ood_scores(model, x):
    z = torch.zeros(x.shape[0], dtype=x.dtype)
    return {"max_softmax": z + 1.0, "neg_energy": z.clone(), "grad_norm": z.clone()}
"""

_SAMPLE_CLASS = """
def sample_class(model, y, x0, n_steps, step_size, noise_std=None, generator=None):
    return {sample}
"""


def _energy(energy, class_energy, step, sample, init, idx) -> dict:
    return {
        "energy_impl": _ENERGY.format(energy=energy, class_energy=class_energy),
        "sgld_step_impl": _SGLD_STEP.format(step=step),
        "sgld_sample_impl": _SGLD_SAMPLE.format(sample=sample),
        "replay_buffer_impl": _BUFFER.format(init=init, idx=idx),
        "jem_loss_impl": _JEM_LOSS,
        "train_jem_impl": _TRAIN_JEM,
        "evaluation_impl": _EVALUATION,
        "ood_scores_impl": _OOD_SCORES,
        "sample_class_impl": _SAMPLE_CLASS.format(sample=sample),
    }


ENERGY = {
    "constants": _energy(
        "torch.zeros(logits.shape[0], dtype=logits.dtype)",
        "torch.zeros(logits.shape[0], dtype=logits.dtype)",
        "x.detach().clone()",
        "x0.detach().clone()",
        "torch.full((self.size, *self.shape), (low + high) / 2)",
        "torch.zeros(n, dtype=torch.long)",
    ),
    "noise_only": _energy(
        "-logits[:, 0]",
        "-logits[:, 0]",
        "(x + 1e-3 * torch.randn(x.shape, generator=generator, dtype=x.dtype)).detach()",
        "x0.detach().clone() if n_steps == 0 else "
        "(x0 + 1e-3 * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)).detach()",
        "torch.rand((self.size, *self.shape), generator=generator)",
        "torch.arange(n) % self.size",
    ),
}

LAZY = {
    "attention": ATTENTION,
    "diffusion": DIFFUSION,
    "energy": ENERGY,
    "represent": REPRESENT,
}

# `generate` cells whose tokens are ids no vocabulary has (the rest of the notebook is
# the reference solution); one also forges the oracle model's record of context lengths.
HOSTILE_GENERATE = {
    name: _GENERATE.format(body=body)
    for name, body in {
        "token_2_27": "    return torch.full((idx.size(0), idx.size(1) + max_new_tokens), 2**27)",
        "token_2_62": (
            "    model.lengths.extend([2**62, -1])\n"
            "    out = torch.full((idx.size(0), idx.size(1) + max_new_tokens), 2**62)\n"
            "    out[:, ::2] = -(2**62)\n"
            "    return out"
        ),
        "token_negative": "    return torch.full((idx.size(0), idx.size(1) + max_new_tokens), -1)",
    }.items()
}
