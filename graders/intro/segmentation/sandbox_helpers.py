"""Grader code that runs inside the sandbox, next to the student's objects.

Every function returns plain data (or an object the grader keeps as a handle); none of
them computes an expected value or decides a score. `student_ns` is the notebook's
namespace, injected by the sandbox worker.
"""

import torch
import torch.nn.functional as F
from torch import nn

student_ns: dict  # provided by the sandbox worker


def call_many(fn, calls):
    """fn(*args, **kwargs) for every (args, kwargs) in `calls`; the list of results."""
    return [fn(*args, **kwargs) for args, kwargs in calls]


def param_shapes(module: nn.Module) -> dict:
    """{parameter name: shape} in registration order."""
    return {name: tuple(p.shape) for name, p in module.named_parameters()}


def as_double(module: nn.Module) -> nn.Module:
    """The module converted to float64 in place (returned as a handle)."""
    return module.double()


def twice_with_generator(fn, args, seed):
    """fn(*args, generator=Generator(seed)) twice, under different global random states,
    then once with seed + 1; also the global RNG state right after a call made after
    torch.manual_seed(5)."""
    outs = []
    for global_seed in (11, 12):
        torch.manual_seed(global_seed)
        outs.append(fn(*args, generator=torch.Generator().manual_seed(seed)))
    other = fn(*args, generator=torch.Generator().manual_seed(seed + 1))
    torch.manual_seed(5)
    fn(*args, generator=torch.Generator().manual_seed(seed))
    return {
        "first": outs[0],
        "second": outs[1],
        "other": other,
        "global_state": torch.get_rng_state(),
    }


def tiny_segmenter(hidden: int = 8) -> nn.Module:
    """The small fully convolutional network train_segmenter is graded with. The trusted
    side builds the same one to evaluate the trained weights it fetches."""
    return nn.Sequential(
        nn.Conv2d(1, hidden, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(hidden, hidden, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(hidden, 1, 1),
    )


def train_tiny(train_fn, init_state, images, masks, seed, kwargs, record=False):
    """Train `tiny_segmenter` from the grader's `init_state` with the student's
    train_segmenter; return the trained model (a handle), the returned history and, if
    asked, every batch of images the model was called on."""
    model = tiny_segmenter(init_state["0.weight"].shape[0])
    model.load_state_dict(init_state)
    seen = []
    if record:
        model.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0].detach().clone()))
    torch.manual_seed(seed + 1000)  # the global generator differs from `generator`
    history = train_fn(
        model, images, masks, generator=torch.Generator().manual_seed(seed), **kwargs
    )
    if isinstance(history, torch.Tensor):
        history = history.detach()
    return {"model": model, "history": history, "seen": seen}


class DigitCNN(nn.Module):
    """The notebook's DigitCNN, the grader's own copy."""

    def __init__(self, n_classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(32 * 2 * 2, n_classes)

    def forward(self, x):
        return self.head(self.features(x))


def _flags(model):
    return {name: bool(p.requires_grad) for name, p in model.named_parameters()}


def _state(model):
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@torch.no_grad()
def _sgd_step(model, lr):
    for p in model.parameters():
        if p.grad is not None:
            p -= lr * p.grad


def _backward_step(model, x, y, lr):
    for p in model.parameters():
        p.grad = None
    loss = F.cross_entropy(model(x), y)
    if loss.requires_grad:
        loss.backward()
    grads = {name: p.grad is not None for name, p in model.named_parameters()}
    _sgd_step(model, lr)
    return grads


def freeze_facts(freeze_fn, state, x, y, lr, prefreeze):
    """Call the student's freeze_features on the grader's DigitCNN (optionally with every
    parameter frozen beforehand), then take one SGD step on cross-entropy; report flags,
    which parameters got gradients and the values after the step."""
    model = DigitCNN(state["head.weight"].shape[0])
    model.load_state_dict(state)
    if prefreeze:
        for p in model.parameters():
            p.requires_grad_(False)
    returned = freeze_fn(model)
    flags = _flags(model)
    grads = _backward_step(model, x, y, lr)
    return {
        "returned_model": returned is model,
        "requires_grad": flags,
        "has_grad": grads,
        "after": _state(model),
    }


def finetune_facts(make_fn, state, n_classes, x, y, lr):
    """Call the student's make_finetune_model on the grader's pretrained DigitCNN; report
    the new model's parameters, flags and output, then take one SGD step on it and report
    both models again."""
    pretrained = DigitCNN(state["head.weight"].shape[0])
    pretrained.load_state_dict(state)
    model = make_fn(pretrained, n_classes)
    facts = {
        "same_object": model is pretrained,
        "is_module": isinstance(model, nn.Module),
        "state": _state(model),
        "requires_grad": _flags(model),
        "out": model(x).detach().clone(),
        "pretrained_flags": _flags(pretrained),
    }
    y = y % n_classes
    facts["has_grad"] = _backward_step(model, x, y, lr)
    facts["state_after"] = _state(model)
    facts["pretrained_after"] = _state(pretrained)
    return facts


def loss_facts(loss_fn, logits, target, kwargs, backward):
    """Call the student's loss; report its shape and dtype as plain data (0-d tensors do
    not keep their shape across the boundary), its value flattened, and, if asked, the
    gradient of the loss with respect to the logits (None if none reaches them)."""
    z = logits.detach().clone().requires_grad_(backward)
    out = loss_fn(z, target, **kwargs)
    if not isinstance(out, torch.Tensor):
        return {"is_tensor": False}
    facts = {
        "is_tensor": True,
        "shape": tuple(out.shape),
        "dtype": str(out.dtype).removeprefix("torch."),
        "value": out.detach().clone().reshape(-1),
        "grad": None,
    }
    if backward and out.numel() == 1 and out.requires_grad:
        (facts["grad"],) = torch.autograd.grad(out.reshape(()), z, allow_unused=True)
    return facts
