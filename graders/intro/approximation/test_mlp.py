"""Task 2: init_mlp and mlp_forward, built from tensors.

The initialisation is reproduced here with the reference init_mlp and the same seed; the
forward pass is compared with the reference mlp_forward on the same random parameters."""

import math
from pathlib import Path

import pytest
import torch

from dlgrade.grading import StudentError, expect
from dlgrade.grading.plugin import load_grader_module

raised = load_grader_module(Path(__file__).with_name("common.py")).raised

pytestmark = pytest.mark.task("test_mlp")

SIZES = [3, 5, 4, 2]
FORWARD_SIZES = [3, 6, 5, 4, 2]


def init_facts(sub, sizes, seed, dtype):
    try:
        return sub.helpers.init_facts(sizes, seed, dtype)
    except StudentError as exc:
        expect.fail(raised("init_mlp", exc))


def check_layout(facts, sizes) -> list:
    params = facts["params"]
    expect.true(
        isinstance(params, list) and len(params) == len(sizes) - 1,
        "init_mlp must return a list with one (W, b) pair per layer (len(sizes) - 1 pairs)",
    )
    for i, layer in enumerate(params, start=1):
        expect.true(len(layer) == 2, "every layer of init_mlp's list must be a pair (W, b)")
        expect.shape(
            layer[0], (sizes[i - 1], sizes[i]), f"W_{i} must have shape (sizes[l-1], sizes[l])"
        )
        expect.shape(layer[1], (sizes[i],), f"b_{i} must have shape (sizes[l],)")
    return params


def init_mistakes(expected, sizes) -> dict:
    """What typical mistakes in the scale would give, from the reference's own draws."""
    raw = [W / math.sqrt(2.0 / sizes[i]) for i, (W, _) in enumerate(expected)]
    return {
        "the weights are not scaled: multiply the N(0, 1) draws by sqrt(2 / fan_in)": raw,
        "the weights are scaled by sqrt(1 / fan_in), not sqrt(2 / fan_in)": [
            r * math.sqrt(1.0 / sizes[i]) for i, r in enumerate(raw)
        ],
        "the weights are scaled with fan_out, not fan_in (sizes[l-1])": [
            r * math.sqrt(2.0 / sizes[i + 1]) for i, r in enumerate(raw)
        ],
        "the variance is used as the standard deviation (2 / fan_in instead of its square root)": [
            r * 2.0 / sizes[i] for i, r in enumerate(raw)
        ],
    }


def _close_weights(got, wanted) -> bool:
    return all(expect.is_close(g[0], w) for g, w in zip(got, wanted))


@pytest.mark.points(2)
def test_init_values(sub, ref, seed):
    """With a seeded generator, init_mlp draws exactly the reference's weights (layer by
    layer, torch.randn((fan_in, fan_out)), times sqrt(2 / fan_in)) and zero biases."""
    s = seed % 1000
    facts = init_facts(sub, SIZES, s, "float64")
    params = check_layout(facts, SIZES)
    expected = ref.init_mlp(SIZES, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
    expected = [(W.detach(), b.detach()) for W, b in expected]
    for (_, b), (_, be) in zip(params, expected):
        expect.true(torch.equal(expect.tensor(b).double(), be), "the biases must start at zero")
    wanted = [We for We, _ in expected]
    if not _close_weights(params, wanted):
        for defect, wrong in init_mistakes(expected, SIZES).items():
            if _close_weights(params, wrong):
                expect.fail(f"init_mlp's weights are wrong: {defect}")
        expect.fail(
            "init_mlp's weights are not the seeded draws the notebook describes: for each "
            "layer in order, torch.randn((fan_in, fan_out), generator=generator, dtype=dtype) "
            "times sqrt(2 / fan_in), and nothing else drawn from the generator"
        )


@pytest.mark.points(1)
def test_init_leaves_and_dtype(sub, ref, seed):
    """Every tensor is a leaf requiring grad; the default dtype is float32 and dtype=
    float64 is honoured; the values are the seeded draws."""
    s = seed % 1000
    for dtype, name in ((None, "torch.float32"), ("float64", "torch.float64")):
        facts = init_facts(sub, SIZES, s, dtype)
        params = check_layout(facts, SIZES)
        for layer in facts["flags"]:
            for f in layer:
                expect.true(f["dtype"] == name, f"init_mlp must return {name} tensors here")
                expect.true(
                    f["requires_grad"] and f["leaf"],
                    "every W and b must be a leaf tensor with requires_grad=True "
                    "(call .requires_grad_() on the finished tensor)",
                )
        wanted = ref.init_mlp(
            SIZES, generator=torch.Generator().manual_seed(s),
            dtype=torch.float64 if dtype else torch.float32,
        )  # fmt: skip
        expect.true(
            _close_weights(params, [W.detach() for W, _ in wanted]),
            "this point is for a working init_mlp: its weights are not the seeded draws",
        )


def random_params(gen, sizes) -> list:
    return [
        (
            torch.randn(a, b, generator=gen, dtype=torch.float64) / math.sqrt(a),
            0.5 * torch.randn(b, generator=gen, dtype=torch.float64),
        )
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def forward_mistakes(ref, params, x, act) -> dict:
    expected = ref.mlp_forward(params, x, act)
    no_bias = [(W, torch.zeros_like(b)) for W, b in params]
    first_only = ref.mlp_forward(params[1:], act(ref.mlp_forward(params[:1], x, act)), lambda t: t)
    return {
        "the activation is also applied after the last layer": act(expected),
        "the biases are not added": ref.mlp_forward(no_bias, x, act),
        "the activation is applied only after the first layer": first_only,
        "the activation is never applied": ref.mlp_forward(params, x, lambda t: t),
    }


def forward(sub, params, x, act):
    try:
        return sub.helpers.forward_with(params, x, act)
    except StudentError as exc:
        expect.fail(raised("mlp_forward", exc))


@pytest.mark.points(2)
def test_forward_matches_reference(sub, ref, gen):
    """With random weights and biases, mlp_forward equals the reference for a 4-layer
    tanh network, a 2-layer ReLU network and a single linear layer."""
    cases = (
        (FORWARD_SIZES, "tanh", torch.tanh),
        ([3, 4, 2], "relu", torch.relu),
        ([3, 2], "tanh", torch.tanh),
    )
    for sizes, name, act in cases:
        params = random_params(gen, sizes)
        x = torch.randn(7, sizes[0], generator=gen, dtype=torch.float64)
        expected = ref.mlp_forward(params, x, act)
        expect.close(
            forward(sub, params, x, name), expected,
            f"mlp_forward is wrong for layer sizes {sizes} with {name}",
            diagnoses=forward_mistakes(ref, params, x, act),
        )  # fmt: skip


@pytest.mark.points(1)
def test_no_torch_nn(sub, ref, source, gen, builtins_used, require_defined):
    """A working MLP built from matrix products, without torch.nn."""
    require_defined(source, ["init_mlp", "mlp_forward"])
    params = random_params(gen, FORWARD_SIZES)
    x = torch.randn(4, FORWARD_SIZES[0], generator=gen, dtype=torch.float64)
    expect.close(
        forward(sub, params, x, "tanh"), ref.mlp_forward(params, x, torch.tanh),
        "this point is for a working mlp_forward built from tensors: its output is wrong",
    )  # fmt: skip
    for name in ("init_mlp", "mlp_forward"):
        used = builtins_used(source, name, frozenset({"Linear", "Sequential", "linear"}))
        expect.true(
            not used,
            f"{name} uses torch.nn (" + ", ".join(sorted(used)) + "); build the layers from "
            "tensors: h @ W + b",
        )
