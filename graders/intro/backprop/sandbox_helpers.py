"""Grader-authored code that runs inside the sandbox, next to the student's functions.

It only runs the submission's code and returns what it produced (plain data); the
trusted tests compute every expected value and decide pass or fail.
"""

import torch


def forward_backward(forward, backward, args, grad_out):
    """`forward(*args)` under torch.no_grad() (so a backward cannot lean on autograd), then
    `backward(grad_out, cache)`; returns {"out": ..., "grads": ...} or {"problem": ...}."""
    with torch.no_grad():
        result = forward(*args)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            return {"problem": "forward"}
        out, cache = result
        grads = backward(grad_out, cache)
    return {"out": out, "grads": grads}


def train_cnn(loss_and_grads, sgd_step, params, x, y, steps, lr, batch_size, seed):
    """Minibatch SGD with the submission's two functions; returns the final parameters
    and the losses it reported (the trusted side evaluates the parameters itself)."""
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, len(y), (batch_size,), generator=g)
        loss, grads = loss_and_grads(params, x[idx], y[idx])
        params = sgd_step(params, grads, lr)
        losses.append(float(loss))
    if not isinstance(params, dict):
        return {"problem": "params"}
    return {"params": {k: v for k, v in params.items() if isinstance(k, str)}, "losses": losses}


def loss_dims(forward, args):
    """The number of dimensions of what `forward(*args)` returns first (None if it is not
    a tensor): 0-dim tensors lose their shape on the wire."""
    with torch.no_grad():
        result = forward(*args)
    first = result[0] if isinstance(result, (tuple, list)) else result
    return first.dim() if isinstance(first, torch.Tensor) else None
