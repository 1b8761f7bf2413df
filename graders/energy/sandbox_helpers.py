"""Grader-authored code that runs inside the sandbox, next to the student's objects.

Oracle energies and models to hand to the student's functions, and probes that report
plain facts (outputs, flags, gradients). Nothing here computes an expected value or a
verdict: the trusted tests do.
"""

import torch
from torch import nn


def quadratic_energy(precision, mean):
    """E(x) = (x - mean)^T precision (x - mean) / 2 for x of shape (N, d)."""

    def energy(x):
        d = x - mean.to(x)
        return 0.5 * torch.einsum("ni,ij,nj->n", d, precision.to(x), d)

    return energy


def diagonal_energy(scale, center):
    """E(x) = sum(scale * (x - center)^2) / 2 over all but the batch dimension."""

    def energy(x):
        d = x - center.to(x)
        return 0.5 * (scale.to(x) * d * d).flatten(1).sum(1)

    return energy


def mlp(weights):
    """Linear -> tanh -> Linear with the given weights (w1, b1, w2, b2), float64."""
    w1, b1, w2, b2 = (weights[k] for k in ("w1", "b1", "w2", "b2"))
    net = nn.Sequential(
        nn.Linear(w1.shape[1], w1.shape[0]), nn.Tanh(), nn.Linear(w2.shape[1], w2.shape[0])
    )
    net = net.double()
    with torch.no_grad():
        for p, v in zip(net.parameters(), (w1, b1, w2, b2)):
            p.copy_(v)
    return net


def model_energy(model):
    """E(x) = -logsumexp of the model's logits."""

    def energy(x):
        return -torch.logsumexp(model(x), dim=-1)

    return energy


def _grads(model):
    return [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]


def _set_grads(model, grads):
    for p, g in zip(model.parameters(), grads):
        p.grad = None if g is None else g.clone()


def _facts(out, model):
    is_tensor = isinstance(out, torch.Tensor)
    return {
        "out": out.detach().clone() if is_tensor else None,
        "is_tensor": is_tensor,
        "requires_grad": bool(is_tensor and out.requires_grad),
        "has_grad_fn": bool(is_tensor and out.grad_fn is not None),
        "param_grads": _grads(model),
    }


def sgld_step_facts(step_fn, weights, preset_grads, x, step_size, noise_std, seed, no_grad):
    """Run the student's sgld_step on an MLP energy; report the output and the model's grads."""
    model = mlp(weights)
    _set_grads(model, preset_grads)
    gen = torch.Generator().manual_seed(seed)
    if no_grad:
        with torch.no_grad():
            out = step_fn(x, model_energy(model), step_size, noise_std=noise_std, generator=gen)
    else:
        out = step_fn(x, model_energy(model), step_size, noise_std=noise_std, generator=gen)
    return _facts(out, model)


def sgld_sample_facts(sample_fn, weights, x0, n_steps, step_size, noise_std, seed):
    """Run the student's sgld_sample from an x0 that requires grad; report plain facts."""
    model = mlp(weights)
    x0 = x0.clone().requires_grad_(True)
    gen = torch.Generator().manual_seed(seed)
    out = sample_fn(model_energy(model), x0, n_steps, step_size, noise_std=noise_std, generator=gen)
    facts = _facts(out, model)
    facts["x0_after"] = x0.detach().clone()
    return facts


def inputs_after(fn, args, kwargs):
    """Call fn(*args, **kwargs); return its result and the tensor arguments afterwards
    (values, and whether each requires grad)."""
    out = fn(*args, **kwargs)
    after = [a.detach().clone() if isinstance(a, torch.Tensor) else None for a in args]
    grad = [bool(a.requires_grad) if isinstance(a, torch.Tensor) else False for a in args]
    return {"out": out, "args_after": after, "args_require_grad": grad}


def twice_with_generator(fn, args, kwargs, seed):
    """fn called twice, each time with a fresh generator seeded `seed` but a different
    global random state; returns both results."""
    outs = []
    for global_seed in (11, 12):
        torch.manual_seed(global_seed)
        outs.append(fn(*args, **dict(kwargs, generator=torch.Generator().manual_seed(seed))))
    return outs


def buffer_twins(buffer_cls, size, shape, reinit_freq, low, high, seed, n):
    """Two buffers built and sampled with identically seeded generators under different
    global random states: (initial content, x, idx) of each."""
    runs = []
    for global_seed in (21, 22):
        torch.manual_seed(global_seed)
        gen = torch.Generator().manual_seed(seed)
        buf = buffer_cls(size, shape, reinit_freq, low, high, gen)
        initial = buf.buffer.detach().clone()
        x, idx = buf.sample(n)
        runs.append({"initial": initial, "x": x, "idx": idx})
    return runs


def jem_loss_facts(loss_fn, weights, x_lab, y_lab, x_data, x_s0, mix):
    """Backpropagate the student's jem_loss where x_sample depends on the model's
    parameters (as a sampler that kept its graph would); report the gradients."""
    model = mlp(weights)
    x_sample = x_s0 + mix * torch.tanh(model(x_s0))[:, : x_s0.shape[1]]
    loss, stats = loss_fn(model, x_lab, y_lab, x_data, x_sample)
    loss.backward()
    return {"loss": loss.detach().clone(), "param_grads": _grads(model)}


def blobs_classifier(d_in: int, hidden: int, classes: int) -> nn.Module:
    """The small classifier train_jem is graded with. The trusted side builds the same one
    to evaluate the trained weights it fetches."""
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.SiLU(),
        nn.Linear(hidden, hidden),
        nn.SiLU(),
        nn.Linear(hidden, classes),
    )


def rows_drawn(train_fn, x, y, seed, kwargs):
    """Train a small classifier with the student's train_jem on data rows that no SGLD
    state can equal; count, for each row of x, how often the model was called on it."""
    model = blobs_classifier(x.shape[1], 8, int(y.max()) + 1)
    seen = []
    model.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0].detach().clone()))
    train_fn(model, x, y, generator=torch.Generator().manual_seed(seed), **kwargs)
    counts = torch.zeros(len(x), dtype=torch.long)
    for batch in seen:
        rows = batch.reshape(-1, x.shape[1]).to(x.dtype)
        counts += (rows[:, None, :] == x[None]).all(-1).sum(0)
    return [int(c) for c in counts]


def train_blobs(train_fn, init_state, x, y, seed, n_samples, kwargs):
    """Train `blobs_classifier`, starting from the grader's `init_state`, with the
    student's train_jem; return the trained model (a handle), samples drawn from the
    returned replay buffer and the training history."""
    hidden, d_in = init_state["0.weight"].shape
    model = blobs_classifier(d_in, hidden, init_state["4.weight"].shape[0])
    model.load_state_dict(init_state)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    buffer, history = train_fn(model, x, y, generator=gen, **kwargs)
    samples, _ = buffer.sample(n_samples)
    if isinstance(samples, torch.Tensor):
        samples = samples.detach()
    return {"model": model, "samples": samples, "history": history}


def bn_classifier(weights):
    """Flatten -> Linear -> BatchNorm1d -> Tanh -> Linear (float64) with the given weights
    and running statistics: in train mode its samples interact through the batch norm. The
    trusted side builds the same one to compute the reference scores."""
    w1, w2 = weights["w1"], weights["w2"]
    net = nn.Sequential(
        nn.Flatten(),
        nn.Linear(w1.shape[1], w1.shape[0]),
        nn.BatchNorm1d(w1.shape[0]),
        nn.Tanh(),
        nn.Linear(w2.shape[1], w2.shape[0]),
    ).double()
    with torch.no_grad():
        net[1].weight.copy_(w1)
        net[1].bias.copy_(weights["b1"])
        net[2].weight.copy_(weights["bn_w"])
        net[2].bias.copy_(weights["bn_b"])
        net[2].running_mean.copy_(weights["bn_mean"])
        net[2].running_var.copy_(weights["bn_var"])
        net[4].weight.copy_(w2)
        net[4].bias.copy_(weights["b2"])
    return net


OOD_KEYS = ("max_softmax", "neg_energy", "grad_norm")


def ood_facts(scores_fn, weights, x, train_mode, no_grad, preset_grads):
    """Call the student's ood_scores on a batch-norm classifier in the given mode (under
    torch.no_grad() if asked), with the parameters' .grad preset; report the scores and
    what the call left behind (mode, .grad, running statistics, x)."""
    model = bn_classifier(weights)
    model.train(train_mode)
    _set_grads(model, preset_grads)
    if no_grad:
        with torch.no_grad():
            out = scores_fn(model, x)
    else:
        out = scores_fn(model, x)
    is_dict = isinstance(out, dict)
    scores, attached = {}, {}
    for key in OOD_KEYS if is_dict else ():
        value = out.get(key)
        is_tensor = isinstance(value, torch.Tensor)
        scores[key] = value.detach().clone() if is_tensor else None
        attached[key] = bool(is_tensor and (value.requires_grad or value.grad_fn is not None))
    return {
        "is_dict": is_dict,
        "n_keys": len(out) if is_dict else 0,
        "scores": scores,
        "attached": attached,
        "training_after": bool(model.training),
        "param_grads": _grads(model),
        "buffers": [b.detach().clone() for b in model.buffers()],
        "x_after": x.detach().clone(),
        "x_requires_grad": bool(x.requires_grad),
    }


class ClassWells(nn.Module):
    """Logits f(x)[k] = -(x - mean_k)^T precision_k (x - mean_k) / 2 + offset_k: the class
    energy of class k is a Gaussian's. The means are a (frozen) parameter, so samplers find
    the model's device and dtype."""

    def __init__(self, means, precisions, offsets):
        super().__init__()
        self.means = nn.Parameter(means.clone(), requires_grad=False)
        self.register_buffer("precisions", precisions.clone())
        self.register_buffer("offsets", offsets.clone())

    def forward(self, x):
        d = x[:, None, :] - self.means.to(x)
        quad = torch.einsum("nki,kij,nkj->nk", d, self.precisions.to(x), d)
        return -0.5 * quad + self.offsets.to(x)


def class_wells(means, precisions, offsets):
    """A `ClassWells` model (a handle for the student's sample_class)."""
    return ClassWells(means, precisions, offsets)


def sample_class_facts(sample_fn, weights, y, x0, n_steps, step_size, noise_std, seed):
    """Run the student's sample_class on an MLP from an x0 that requires grad; report plain
    facts (output, flags, the parameters' grads, x0 afterwards)."""
    model = mlp(weights)
    x0 = x0.clone().requires_grad_(True)
    gen = torch.Generator().manual_seed(seed)
    out = sample_fn(model, y, x0, n_steps, step_size, noise_std=noise_std, generator=gen)
    facts = _facts(out, model)
    facts["x0_after"] = x0.detach().clone()
    return facts
