"""Task 1: activation functions and their derivatives, written by hand.

Values are judged against PyTorch's own functions, derivatives against torch.autograd
applied to PyTorch's functions, all here in the trusted process."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

raised = load_grader_module(Path(__file__).with_name("common.py")).raised

pytestmark = pytest.mark.task("test_activations")

NAMES = ("relu", "sigmoid", "tanh", "softplus", "gelu_tanh")
TORCH = {
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softplus": F.softplus,
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
}
EDGE = (0.0, -1000.0, 1000.0, -50.0, 50.0)
LARGE = (-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0)


def autograd_prime(name: str, x: torch.Tensor) -> torch.Tensor:
    """d/dx of PyTorch's version of `name`, elementwise, by torch.autograd."""
    xr = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(TORCH[name](xr).sum(), xr)
    return g


def points(gen, *shape, dtype=torch.float64) -> torch.Tensor:
    return 3 * torch.randn(*shape, generator=gen, dtype=dtype)


def value_mistakes(name: str, x: torch.Tensor) -> dict:
    return {
        "sigmoid": {
            "sigmoid returns 1/(1 + e^x): the sign of the exponent is wrong": torch.sigmoid(-x)
        },
        "tanh": {
            "tanh returns sigmoid(2x), without the 2 sigmoid(2x) - 1 rescaling": torch.sigmoid(
                2 * x
            ),
            "tanh returns sigmoid(x)": torch.sigmoid(x),
        },
        "softplus": {"softplus returns e^x - 1 or log(e^x): check log(1 + e^x)": x},
        "gelu_tanh": {"gelu_tanh is missing the factor 1/2": 2 * TORCH["gelu_tanh"](x)},
    }.get(name, {})


def prime_mistakes(name: str, x: torch.Tensor) -> dict:
    f = TORCH[name](x)
    return {
        "sigmoid": {"sigmoid_prime returns sigmoid(x), not its derivative": f},
        "tanh": {
            "tanh_prime returns 1 - tanh(x), not 1 - tanh(x)^2": 1 - f,
            "tanh_prime returns 1 + tanh(x)^2: the sign is wrong": 1 + f**2,
        },
        "softplus": {"softplus_prime returns softplus(x), not its derivative sigmoid(x)": f},
        "gelu_tanh": {
            "gelu_tanh_prime drops the term x/2 (1 - tanh(u)^2) u' of the product rule": 0.5
            * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (x + 0.044715 * x**3)))
        },
    }.get(name, {})


def call(sub, name: str, x: torch.Tensor):
    try:
        return getattr(sub, name)(x)
    except StudentError as exc:
        expect.fail(raised(f"{name}", exc))


@pytest.mark.points(2)
def test_values(sub, gen):
    """Each activation equals PyTorch's version on random inputs (float64, a 2-D batch)."""
    x = points(gen, 6, 7)
    for name in NAMES:
        expect.close(
            call(sub, name, x), TORCH[name](x), f"{name}(x) is wrong on random inputs",
            diagnoses=value_mistakes(name, x),
        )  # fmt: skip


@pytest.mark.points(3)
def test_derivatives_match_autograd(sub, gen):
    """Each derivative equals torch.autograd's derivative of PyTorch's function."""
    x = points(gen, 5, 8)
    for name in NAMES:
        expect.close(
            call(sub, f"{name}_prime", x), autograd_prime(name, x),
            f"{name}_prime(x) is not the derivative of {name} (compared with torch.autograd "
            "on random inputs)",
            diagnoses=prime_mistakes(name, x),
        )  # fmt: skip


@pytest.mark.points(1)
def test_edge_points(sub):
    """At x = 0 (relu'(0) = 0, PyTorch's convention) and at |x| up to 1000 the derivatives
    are finite and equal autograd's."""
    x = torch.tensor(EDGE, dtype=torch.float64)
    for name in NAMES:
        got = expect.tensor(call(sub, f"{name}_prime", x), f"{name}_prime must return a tensor")
        expect.shape(got, tuple(x.shape), f"{name}_prime must keep the shape of its input")
        expect.true(
            torch.isfinite(got.double()).all(),
            f"{name}_prime returns NaN or inf at |x| = 50 or 1000: an exponential overflows; "
            "rewrite it in terms of your stable functions",
        )
        expected = autograd_prime(name, x)
        if name == "relu":
            expect.true(
                expect.is_close(got[:1], expected[:1]),
                "relu_prime(0) must be 0 (PyTorch's convention, stated in the notebook)",
            )
        expect.true(
            expect.is_close(got[:1], expected[:1]),
            f"{name}_prime is wrong at x = 0",
        )
        expect.close(got, expected, f"{name}_prime is wrong for large |x| (50 to 1000)")


@pytest.mark.points(1)
def test_stable_for_large_inputs(sub):
    """The activations are finite and accurate at |x| from 30 to 1000, float32 and float64."""
    for dtype in (torch.float64, torch.float32):
        x = torch.tensor(LARGE, dtype=dtype)
        for name in NAMES:
            got = expect.tensor(call(sub, name, x), f"{name} must return a tensor")
            expect.true(
                tuple(got.shape) == tuple(x.shape) and torch.isfinite(got.double()).all(),
                f"{name} overflows: it returns NaN or inf for large |x| ({dtype}); use the "
                "stable forms from the notebook",
            )
            expect.close(
                got, TORCH[name](x), f"{name} is inaccurate for large |x| ({dtype})",
                rtol=1e-5, atol=1e-5,
            )  # fmt: skip


@pytest.mark.points(1)
def test_dtype_shape_and_input(sub, gen):
    """float32 inputs of shape (2, 3, 4) give float32 outputs of that shape, accurate to
    float32 precision; the input is not modified."""
    x = points(gen, 2, 3, 4, dtype=torch.float32)
    for name in NAMES:
        for fn, expected in ((name, TORCH[name](x)), (f"{name}_prime", autograd_prime(name, x))):
            try:
                facts = sub.helpers.call_and_input(fn, x)
            except StudentError as exc:
                expect.fail(raised(f"{fn}", exc))
            out = expect.tensor(facts["out"], f"{fn} must return a tensor")
            expect.true(
                out.dtype == torch.float32 and tuple(out.shape) == (2, 3, 4),
                f"{fn} must keep the shape and dtype of its input (float32 in, float32 out)",
            )
            expect.true(torch.equal(facts["input_after"], x), f"{fn} modifies its input in place")
            expect.close(out, expected, f"{fn} is wrong on float32 inputs", rtol=1e-4, atol=1e-5)


@pytest.mark.points(1)
def test_no_builtin_activations(sub, source, gen, builtins_used, require_defined):
    """Working activations and derivatives written without PyTorch's versions or autograd."""
    names = [*NAMES, *(f"{n}_prime" for n in NAMES)]
    require_defined(source, names)
    x = points(gen, 9)
    for name in NAMES:
        expect.close(
            call(sub, name, x), TORCH[name](x),
            f"this point is for working activations written by hand: {name} is wrong",
        )  # fmt: skip
        expect.close(
            call(sub, f"{name}_prime", x), autograd_prime(name, x),
            f"this point is for working derivatives written by hand: {name}_prime is wrong",
        )  # fmt: skip
    for name in names:
        used = builtins_used(source, name, frozenset({"backward"}))
        expect.true(
            not used,
            f"{name} uses PyTorch's own activations, torch.nn or autograd ("
            + ", ".join(sorted(used))
            + "); write the formula yourself",
        )
