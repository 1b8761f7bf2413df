"""Grader code that runs inside the sandbox, next to the submission.

Every function here only *computes data* (tensors, numbers) for the trusted tests to
judge; nothing here knows an expected value or decides a score. `student_ns` (the
notebook's namespace) is injected by the sandbox worker.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

student_ns: dict  # provided by the sandbox worker


def schedule(values: dict):
    """The student's ``DiffusionSchedule(betas)`` with its documented attributes set to
    `values`, so later tasks are graded on their own. Where they cannot be set (read-only
    properties) or the class fails, a stand-in serves `values` and passes every other
    attribute (the student's own extras) on to the student's object, if there is one."""
    try:
        obj = student_ns["DiffusionSchedule"](values["betas"].clone())  # noqa: F821
    except Exception:  # noqa: BLE001 - a broken class must not break the later tasks
        return _Documented(values, None)
    try:
        for name, value in values.items():
            setattr(obj, name, _copy(value))
        if all(_same(getattr(obj, name), value) for name, value in values.items()):
            return obj
    except Exception:  # noqa: BLE001
        pass
    return _Documented(values, obj)


class _Documented:
    """The documented schedule attributes at fixed values; the rest from `student`."""

    def __init__(self, values: dict, student) -> None:
        self.__dict__.update({k: _copy(v) for k, v in values.items()})
        self.__dict__["_student"] = student

    def __getattr__(self, name: str):
        student = self.__dict__["_student"]
        if student is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(student, name)


def _copy(value):
    return value.clone() if isinstance(value, torch.Tensor) else value


def _same(a, b) -> bool:
    if isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
    return a == b


def _timesteps(t, batch: int) -> torch.Tensor:
    t = torch.as_tensor(t).long().reshape(-1)
    return t.expand(batch) if t.numel() == 1 else t


class GaussianEpsOracle(nn.Module):
    """The exact ε-predictor E[ε | x_t] when the data are N(mean, diag(std²))."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, alphas_cumprod: torch.Tensor):
        super().__init__()
        self.mean = nn.Parameter(mean.double().clone(), requires_grad=False)
        self.register_buffer("std", std.double().clone())
        self.register_buffer("alphas_cumprod", alphas_cumprod.double().clone())

    def forward(self, x: torch.Tensor, t) -> torch.Tensor:
        t = _timesteps(t, x.shape[0]).to(self.alphas_cumprod.device)
        ab = self.alphas_cumprod[t][:, None]
        var = ab * self.std**2 + 1 - ab
        eps = (1 - ab).sqrt() * (x.double() - ab.sqrt() * self.mean) / var
        return eps.to(x.dtype)


class LinearEps(nn.Module):
    """ε̂(x, t) = x W + c_t: a model whose loss and gradients have a closed form."""

    def __init__(self, weight: torch.Tensor, bias_per_t: torch.Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.bias = nn.Parameter(bias_per_t.clone())

    def forward(self, x: torch.Tensor, t) -> torch.Tensor:
        t = _timesteps(t, x.shape[0])
        return x @ self.weight.to(x.dtype) + self.bias.to(x.dtype)[t]


class Recorder(nn.Module):
    """Wraps a model and keeps a copy of every (x, t) it is called with."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.inputs: list = []
        self.timesteps: list = []

    def forward(self, x, t):
        self.inputs.append(x.detach().clone() if isinstance(x, torch.Tensor) else x)
        self.timesteps.append(t.detach().clone() if isinstance(t, torch.Tensor) else t)
        return self.inner(x, t)


def gaussian_oracle(mean, std, alphas_cumprod, record: bool = False) -> nn.Module:
    model = GaussianEpsOracle(mean, std, alphas_cumprod)
    return Recorder(model) if record else model


def linear_eps(weight, bias_per_t, record: bool = False) -> nn.Module:
    model = LinearEps(weight, bias_per_t)
    return Recorder(model) if record else model


def loss_and_grads(loss_fn, model: nn.Module, x0, sched, t, noise) -> dict:
    """The student's loss for fixed (t, noise) and the gradients it sends to `model`."""
    model.zero_grad(set_to_none=True)
    loss = loss_fn(model, x0, sched, t=t, noise=noise)
    differentiable = isinstance(loss, torch.Tensor) and loss.requires_grad
    if differentiable:
        loss.backward()
    grads = {
        name: (p.grad.detach().clone() if p.grad is not None else None)
        for name, p in model.named_parameters()
    }
    value = loss.detach() if isinstance(loss, torch.Tensor) else loss
    return {"loss": value, "differentiable": differentiable, "grads": grads}


def module_report(model: nn.Module, x: torch.Tensor, t: torch.Tensor) -> dict:
    """Output, parameter count and which parameters get a gradient from ``out.sum()``."""
    model.zero_grad(set_to_none=True)
    out = model(x, t)
    n_params = sum(p.numel() for p in model.parameters())
    with_grad = 0
    if isinstance(out, torch.Tensor) and out.requires_grad:
        out.float().sum().backward()
        with_grad = sum(
            1 for p in model.parameters() if p.grad is not None and bool(p.grad.abs().sum() > 0)
        )
    return {
        "out": out.detach() if isinstance(out, torch.Tensor) else out,
        "n_params": n_params,
        "params_with_grad": with_grad,
    }


class RingMLP(nn.Module):
    """The grader's own small ε-network for the learning test."""

    def __init__(self, num_timesteps: int, hidden: int = 64, freqs: int = 8):
        super().__init__()
        w = torch.exp(-math.log(num_timesteps) * torch.arange(freqs) / freqs)
        self.register_buffer("freqs", w)
        self.l1 = nn.Linear(2 + 2 * freqs, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.l3 = nn.Linear(hidden, 2)

    def forward(self, x, t):
        a = _timesteps(t, x.shape[0]).to(x.dtype)[:, None] * self.freqs.to(x.dtype)
        h = torch.cat([x, torch.sin(a), torch.cos(a)], dim=-1)
        return self.l3(F.silu(self.l2(F.silu(self.l1(h)))))


def ring_batch(n: int, g: torch.Generator, modes: int, radius: float, std: float):
    k = torch.randint(0, modes, (n,), generator=g)
    angle = 2 * math.pi * k.double() / modes
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)
    return (centres + std * torch.randn(n, 2, generator=g, dtype=torch.float64)).float()


def train_on_ring(loss_fn, sched, cfg: dict) -> nn.Module:
    """Train `RingMLP` with the student's loss; returns the network (a handle)."""
    seed = int(cfg["seed"])
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = RingMLP(int(cfg["num_timesteps"]), hidden=int(cfg["hidden"]))
    steps = int(cfg["steps"])
    opt = torch.optim.Adam(model.parameters(), lr=float(cfg["lr"]))
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    for _ in range(steps):
        x0 = ring_batch(int(cfg["batch"]), g, int(cfg["modes"]), cfg["radius"], cfg["std"])
        loss = loss_fn(model, x0, sched, generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        decay.step()
    return model.eval()


def sample_ring(sample_fn, model, sched, cfg: dict):
    """Samples of the trained `model` drawn by the student's sampler."""
    g = torch.Generator().manual_seed(int(cfg["seed"]) + 1)
    samples = sample_fn(model, (int(cfg["samples"]), 2), sched, generator=g)
    return samples.detach() if isinstance(samples, torch.Tensor) else samples
