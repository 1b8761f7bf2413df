"""Grader code that runs inside the sandbox, next to the student's functions.

Each function calls the student's code and returns plain data (outputs, flags, the
inputs as they are afterwards). None computes an expected value or decides a score.
`student_ns` is the notebook's namespace, injected by the sandbox worker.
"""

import torch

student_ns: dict  # provided by the sandbox worker

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda t: t}
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def _plain(params) -> list:
    return [
        [t.detach().clone() if isinstance(t, torch.Tensor) else t for t in layer]
        for layer in params
    ]


def call_and_input(name: str, x: torch.Tensor) -> dict:
    """The student's elementwise function `name` on a copy of x; the copy afterwards."""
    arg = x.clone()
    out = student_ns[name](arg)  # noqa: F821
    return {"out": out, "input_after": arg}


def init_facts(sizes: list, seed: int, dtype: str | None) -> dict:
    """init_mlp(sizes, generator seeded `seed`[, dtype]): the tensors and their flags."""
    kwargs = {} if dtype is None else {"dtype": DTYPES[dtype]}
    params = student_ns["init_mlp"](sizes, generator=torch.Generator().manual_seed(seed), **kwargs)  # noqa: F821
    flags = [
        [
            {
                "tensor": isinstance(t, torch.Tensor),
                "requires_grad": bool(getattr(t, "requires_grad", False)),
                "leaf": bool(getattr(t, "is_leaf", False)),
                "dtype": str(getattr(t, "dtype", "")),
            }
            for t in layer
        ]
        for layer in params
    ]
    return {"params": _plain(params), "flags": flags}


def forward_with(params: list, x: torch.Tensor, activation: str):
    """mlp_forward(params, x, activation) with one of torch's activations."""
    params = [tuple(layer) for layer in params]
    return student_ns["mlp_forward"](params, x, ACTIVATIONS[activation])  # noqa: F821


def fit_run(
    sizes: list, x: torch.Tensor, y: torch.Tensor, activation: str, steps: int, lr: float, seed: int
) -> dict:
    """fit_mlp with a generator seeded `seed` and one of torch's activations."""
    params, losses = student_ns["fit_mlp"](  # noqa: F821
        sizes,
        x,
        y,
        ACTIVATIONS[activation],
        steps=steps,
        lr=lr,
        generator=torch.Generator().manual_seed(seed),
    )
    return {"params": _plain(params), "losses": [float(v) for v in losses]}
