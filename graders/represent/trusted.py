"""Trusted re-implementations of the notebook's functions, with switches for typical mistakes.

Each function returns what a submission with that mistake would return for the same
inputs (and the same generator seed); the tests pass them to
``expect.close(..., diagnoses=...)`` to name the defect. Everything here runs in the
grader process on trusted data only, in float64 unless told otherwise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

# ------------------------------------------------------------------ augmentations


def shifts(n: int, max_shift: int, seed: int, *, inclusive: bool = True) -> torch.Tensor:
    """The notebook's draw: torch.randint(-max_shift, max_shift + 1, (n,), generator)."""
    g = torch.Generator().manual_seed(seed)
    high = max_shift + 1 if inclusive else max_shift
    return torch.randint(-max_shift, high, (n,), generator=g)


def roll_rows(x: torch.Tensor, by: torch.Tensor) -> torch.Tensor:
    """Row i rolled right by by[i]: out[i, j] = x[i, (j - by[i]) mod L]."""
    return torch.stack([torch.roll(row, int(s)) for row, s in zip(x, by)])


def random_shift(
    x: torch.Tensor,
    max_shift: int,
    seed: int,
    *,
    sign: int = 1,
    one_shift: bool = False,
    inclusive: bool = True,
) -> torch.Tensor:
    n = x.shape[0]
    if one_shift:
        s = shifts(1, max_shift, seed).expand(n)
    else:
        s = shifts(n, max_shift, seed, inclusive=inclusive)
    return roll_rows(x, sign * s)


def scale_factors(
    n: int, low: float, high: float, seed: int, dtype: torch.dtype
) -> list[torch.Tensor]:
    """The accepted factor draws: torch.rand in x's dtype (the text), or in float32 and
    cast (an acceptable reading)."""
    out = []
    for draw in (dtype, torch.float32):
        u = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=draw).to(dtype)
        out.append(low + (high - low) * u)
    return out


def random_scale(
    x: torch.Tensor, low: float, high: float, seed: int, *, one_factor: bool = False
) -> list[torch.Tensor]:
    """Every accepted output (see `scale_factors`)."""
    n = 1 if one_factor else x.shape[0]
    return [x * a[:, None] for a in scale_factors(n, low, high, seed, x.dtype)]


def noise_draws(shape: tuple[int, ...], seed: int, dtype: torch.dtype) -> list[torch.Tensor]:
    """The accepted noise: torch.randn in x's dtype, or in float32 and cast."""
    g = [torch.Generator().manual_seed(seed) for _ in range(2)]
    return [
        torch.randn(shape, generator=g[0], dtype=dtype),
        torch.randn(shape, generator=g[1], dtype=torch.float32).to(dtype),
    ]


def add_noise(x: torch.Tensor, std: float, seed: int) -> list[torch.Tensor]:
    return [x + std * xi for xi in noise_draws(tuple(x.shape), seed, x.dtype)]


def augment(
    x: torch.Tensor,
    seed: int,
    max_shift: int = 4,
    low: float = 0.8,
    high: float = 1.2,
    noise_std: float = 0.05,
    *,
    order: str = "shift,scale,noise",
    low_precision: bool = False,
) -> torch.Tensor:
    """augment with one generator for all draws, the draws in `order` (the applied
    transformations are always shift, scale, noise); `low_precision` draws the factors
    and the noise in float32."""
    g = torch.Generator().manual_seed(seed)
    n, draw = x.shape[0], (torch.float32 if low_precision else x.dtype)
    drawn = {}
    for step in order.split(","):
        if step == "shift":
            drawn[step] = torch.randint(-max_shift, max_shift + 1, (n,), generator=g)
        elif step == "scale":
            drawn[step] = torch.rand(n, generator=g, dtype=draw).to(x.dtype)
        else:
            drawn[step] = torch.randn(tuple(x.shape), generator=g, dtype=draw).to(x.dtype)
    out = roll_rows(x, drawn["shift"])
    out = out * (low + (high - low) * drawn["scale"])[:, None]
    return out + noise_std * drawn["noise"]


# ------------------------------------------------------------------ NT-Xent


def nt_xent(
    z1: torch.Tensor,
    z2: torch.Tensor,
    temperature: float = 0.5,
    *,
    normalise: bool = True,
    self_excluded: bool = True,
    both_views: bool = True,
    positive_in_denominator: bool = True,
    cross_view_only: bool = False,
    tau: str = "divide",
    reduction: str = "mean",
) -> torch.Tensor:
    """NT-Xent, or what one typical mistake computes instead."""
    z1, z2 = z1.double(), z2.double()
    n = z1.shape[0]
    u = torch.cat([z1, z2])
    if normalise:
        u = F.normalize(u, dim=1)
    dots = u @ u.T
    sim = {"divide": dots / temperature, "multiply": dots * temperature, "ignore": dots}[tau]
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    rows = torch.arange(2 * n)
    masked = sim.clone()
    if self_excluded:
        masked[rows, rows] = float("-inf")
    if cross_view_only:
        same_view = (rows[:, None] < n) == (rows[None, :] < n)
        masked = masked.masked_fill(same_view, float("-inf"))
    denom = masked.clone()
    if not positive_in_denominator:
        denom[rows, pos] = float("-inf")
    losses = torch.logsumexp(denom, dim=1) - sim[rows, pos]
    if not both_views:
        losses = losses[:n]
    return losses.sum() if reduction == "sum" else losses.mean()


# ------------------------------------------------------------------ VICReg


def vicreg_terms(
    z: torch.Tensor,
    gamma: float = 1.0,
    eps: float = 1e-4,
    *,
    unbiased: bool = True,
    eps_inside: bool = True,
    hinge: bool = True,
    centred: bool = True,
    diagonal: bool = False,
    cov_norm: str = "n-1",
    cov_by: str = "d",
    hinge_on_variance: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(v(Z), c(Z)) of one branch, or a typical misreading of them."""
    z = z.double()
    n, d = z.shape
    var = z.var(dim=0, unbiased=unbiased)
    std = torch.sqrt(var + eps) if eps_inside else torch.sqrt(var) + eps
    gap = gamma - (var + eps if hinge_on_variance else std)
    v = (F.relu(gap) if hinge else gap).mean()
    zc = z - z.mean(dim=0) if centred else z
    cov = zc.T @ zc / {"n-1": n - 1, "n": n}[cov_norm]
    off = cov if diagonal else cov - torch.diag(torch.diagonal(cov))
    c = off.pow(2).sum() / {"d": d, "d2": d * d, "1": 1, "dd-1": d * (d - 1)}[cov_by]
    return v, c


def vicreg(
    z1: torch.Tensor,
    z2: torch.Tensor,
    sim_coeff: float = 25.0,
    std_coeff: float = 25.0,
    cov_coeff: float = 1.0,
    gamma: float = 1.0,
    eps: float = 1e-4,
    *,
    invariance: str = "mean",
    branches: str = "both",
    **term_options: object,
) -> torch.Tensor:
    """The VICReg loss, or a typical mistake (`term_options` go to `vicreg_terms`)."""
    z1, z2 = z1.double(), z2.double()
    diff2 = (z1 - z2).pow(2)
    s = {"mean": diff2.mean(), "sum_d": diff2.sum(1).mean(), "sum": diff2.sum()}[invariance]
    v1, c1 = vicreg_terms(z1, gamma, eps, **term_options)
    v2, c2 = vicreg_terms(z2, gamma, eps, **term_options)
    if branches == "first":
        v, c = v1, c1
    elif branches == "half_variance":
        v, c = (v1 + v2) / 2, c1 + c2
    elif branches == "average":
        v, c = (v1 + v2) / 2, (c1 + c2) / 2
    else:
        v, c = v1 + v2, c1 + c2
    return sim_coeff * s + std_coeff * v + cov_coeff * c


# ------------------------------------------------------------------ k-NN


def knn(
    train_z: torch.Tensor,
    train_y: torch.Tensor,
    query_z: torch.Tensor,
    k: int = 5,
    *,
    similarity: str = "cosine",
    farthest: bool = False,
    vote_ties: str = "nearest",
) -> torch.Tensor:
    """Cosine k-NN labels with the notebook's tie rules, or a typical mistake
    (`similarity` "dot" or "euclidean"; `vote_ties` "lowest" or "highest" label)."""
    t, q = train_z.double(), query_z.double()
    if similarity == "cosine":
        sims = F.normalize(q, dim=1) @ F.normalize(t, dim=1).T
    elif similarity == "dot":
        sims = q @ t.T
    else:
        sims = -torch.cdist(q, t)
    if farthest:
        sims = -sims
    k = min(k, len(t))
    order = torch.sort(sims, dim=1, descending=True, stable=True).indices[:, :k]
    labels = train_y[order]
    classes = int(train_y.max()) + 1
    out = []
    for row in labels.tolist():
        votes = [row.count(c) for c in range(classes)]
        best = max(votes)
        tied = [c for c in range(classes) if votes[c] == best]
        if vote_ties == "nearest":
            out.append(next(c for c in row if c in tied))
        else:
            out.append(min(tied) if vote_ties == "lowest" else max(tied))
    return torch.tensor(out, dtype=torch.int64)


# ------------------------------------------------------------------ linear probe


def linear_probe(
    train_z: torch.Tensor,
    train_y: torch.Tensor,
    test_z: torch.Tensor,
    n_classes: int,
    steps: int = 100,
    lr: float = 0.5,
    weight_decay: float = 1e-3,
    *,
    standardise: str = "train",
    unbiased: bool = False,
    decay: str = "weight",
    ce: str = "mean",
    output: str = "logits",
) -> torch.Tensor:
    """The probe by hand (closed-form gradients), or a typical mistake: `standardise`
    "none" / "own" (each set with its own statistics); `decay` "none" / "all" (bias too)
    / "double" (λ‖W‖² instead of λ/2 ‖W‖²); `ce` "sum"; `output` "probs"."""
    x, xt = train_z.double(), test_z.double()
    mean = x.mean(0)
    std = x.std(0, unbiased=unbiased)
    std = torch.where(std < 1e-12, torch.ones_like(std), std)
    if standardise == "train":
        xt = (xt - mean) / std
        x = (x - mean) / std
    elif standardise == "own":
        t_std = xt.std(0, unbiased=unbiased)
        xt = (xt - xt.mean(0)) / torch.where(t_std < 1e-12, torch.ones_like(t_std), t_std)
        x = (x - mean) / std
    n, d = x.shape
    w = torch.zeros(n_classes, d, dtype=torch.float64)
    b = torch.zeros(n_classes, dtype=torch.float64)
    onehot = F.one_hot(train_y, n_classes).double()
    scale = 1.0 if ce == "sum" else 1.0 / n
    factor = {"weight": 1.0, "all": 1.0, "double": 2.0, "none": 0.0}[decay]
    for _ in range(steps):
        resid = (torch.softmax(x @ w.T + b, dim=1) - onehot) * scale
        grad_w = resid.T @ x + factor * weight_decay * w
        grad_b = resid.sum(0) + (weight_decay * b if decay == "all" else 0.0)
        w, b = w - lr * grad_w, b - lr * grad_b
    logits = xt @ w.T + b
    return torch.softmax(logits, dim=1) if output == "probs" else logits
