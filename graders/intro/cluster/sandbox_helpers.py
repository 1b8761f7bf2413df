"""Grader-authored code that runs inside the sandbox: it writes files the student's
functions read and runs their training functions on models built here. It returns what
they produced (data, handles); the trusted tests judge it."""

import os
import tempfile

import torch
from torch import nn


def collect_from(collect_fn, files):
    """Writes {relative name: text} into a fresh folder and calls collect_fn on it."""
    folder = tempfile.mkdtemp(prefix="results-")
    for name, text in files.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return collect_fn(folder)


def mlp(weights):
    """Linear(8, 16) -> tanh -> Linear(16, 3), float64, with the given state dict."""
    net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 3)).double()
    net.load_state_dict(weights)
    return net


def adam(model):
    return torch.optim.Adam(model.parameters(), lr=0.05)


def roundtrip(train_step, save_fn, load_fn, weights, fresh, X, y, seed, steps, step_value):
    """Trains `steps` steps, saves with save_fn, loads into fresh objects with load_fn."""
    model, gen = mlp(weights), torch.Generator().manual_seed(seed)
    opt = adam(model)
    for _ in range(steps):
        train_step(model, opt, X, y, gen)
    path = os.path.join(tempfile.mkdtemp(prefix="ckpt-"), "ckpt.pt")
    save_fn(path, model, opt, step_value, gen)
    model2, gen2 = mlp(fresh), torch.Generator().manual_seed(seed + 999)
    opt2 = adam(model2)
    step = load_fn(path, model2, opt2, gen2)
    moments = [
        [opt2.state[p]["exp_avg"].clone(), opt2.state[p]["exp_avg_sq"].clone()]
        if p in opt2.state
        else None
        for p in model2.parameters()
    ]
    return {
        "step": step,
        "weights": {k: v.detach().clone() for k, v in model2.state_dict().items()},
        "moments": moments,
        "draw": torch.randint(1000, (8,), generator=gen2),
    }


def resumable_run(train_fn, inits, seeds, X, y, total, every, cuts):
    """Job i builds a fresh model from inits[i] and a generator from seeds[i] and calls
    train_fn with max_steps=cuts[i], on one checkpoint path; returns the steps reached
    and the last model (a handle)."""
    path = os.path.join(tempfile.mkdtemp(prefix="ckpt-"), "ckpt.pt")
    steps, model = [], None
    for init, seed, cut in zip(inits, seeds, cuts):
        model = mlp(init)
        opt, gen = adam(model), torch.Generator().manual_seed(seed)
        steps.append(train_fn(model, opt, X, y, gen, total, path, every, cut))
    return {"steps": steps, "model": model, "exists": os.path.exists(path)}
