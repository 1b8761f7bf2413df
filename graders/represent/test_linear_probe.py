"""Task 5: the linear probe (logistic regression by gradient descent on frozen features)."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace

import pytest
import torch

from dlgrade.grading import StudentError, expect
from dlgrade.grading.proxy import Submission

pytestmark = pytest.mark.task("test_linear_probe")

ARGS = {"steps": 40, "lr": 0.5, "weight_decay": 0.05}


def _features(data: SimpleNamespace, seed: int, n: int, d: int, classes: int) -> tuple:
    """Class clusters with per-dimension offsets and spreads (0.3 to 3), so that the
    standardisation matters; labels cover every class."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    y = y[torch.randperm(n, generator=g)]
    centres = data.randn(seed + 1, classes, d, scale=1.5)
    spread = torch.linspace(0.3, 3.0, d, dtype=torch.float64)
    offset = torch.linspace(-2.0, 4.0, d, dtype=torch.float64)
    z = (centres[y] + data.randn(seed + 2, n, d)) * spread + offset
    m = n // 2
    zt = (centres[y[:m]] + data.randn(seed + 3, m, d)) * spread * 1.3 + offset - 0.5
    return z, y, zt


def _diagnoses(
    trusted: ModuleType,
    z: torch.Tensor,
    y: torch.Tensor,
    zt: torch.Tensor,
    n_classes: int,
    args: dict,
) -> dict:
    def wrong(**options: object) -> torch.Tensor:
        return trusted.linear_probe(z, y, zt, n_classes, **args, **options)

    return {
        "the features are not standardised: subtract the training mean and divide by the "
        "training standard deviation first": wrong(standardise="none"),
        "the test features are standardised with their own statistics; use the training "
        "features' mean and standard deviation for both": wrong(standardise="own"),
        "the standard deviation is unbiased; use the biased one (unbiased=False)": wrong(
            unbiased=True
        ),
        "the weight decay is applied to the bias too; it is on W only": wrong(decay="all"),
        "weight_decay is ignored: add weight_decay / 2 * |W|^2 to the loss": wrong(decay="none"),
        "the penalty is weight_decay * |W|^2; it is weight_decay / 2 * |W|^2": wrong(
            decay="double"
        ),
        "the cross-entropy is summed over the training rows; take its mean": wrong(ce="sum"),
        "the probe returns probabilities; return the logits x_test W^T + b": wrong(output="probs"),
    }


def _check(
    sub: Submission,
    trusted: ModuleType,
    z: torch.Tensor,
    y: torch.Tensor,
    zt: torch.Tensor,
    n_classes: int,
    args: dict,
    message: str,
) -> None:
    out = sub.linear_probe(z, y, zt, n_classes, **args)
    expect.shape(out, (len(zt), n_classes), "linear_probe should return logits (M, n_classes)")
    expect.close(
        out,
        trusted.linear_probe(z, y, zt, n_classes, **args),
        message,
        rtol=1e-6,
        atol=1e-8,
        diagnoses=_diagnoses(trusted, z, y, zt, n_classes, args),
    )


def require_probe(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """The properties of this test pay only for a probe that follows the text."""
    z, y, zt = _features(data, seed + 30, 16, 3, 2)
    out = sub.linear_probe(z, y, zt, 2, steps=10, lr=0.3, weight_decay=0.1)
    expect.true(
        expect.is_close(out, trusted.linear_probe(z, y, zt, 2, 10, 0.3, 0.1), 1e-6, 1e-8),
        "this point is for a working linear_probe: on random features it does not return "
        "the logits of the probe the text specifies",
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Are the logits those of the specified probe (standardised, zeros, gradient descent)?"""
    z, y, zt = _features(data, seed, 30, 5, 3)
    _check(sub, trusted, z, y, zt, 3, ARGS, "linear_probe is wrong")


@pytest.mark.points(2)
def test_hyperparameters(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Are steps, lr, weight_decay, n_classes and the defaults used as specified?"""
    z, y, zt = _features(data, seed, 24, 4, 3)
    _check(sub, trusted, z, y, zt, 3, {"steps": 7, "lr": 1.5, "weight_decay": 0.2},
           "linear_probe is wrong for steps=7, lr=1.5, weight_decay=0.2")  # fmt: skip
    _check(sub, trusted, z, y, zt, 5, ARGS,
           "linear_probe is wrong when n_classes is larger than the labels present")  # fmt: skip
    _check(sub, trusted, z, y, zt, 3, {},
           "linear_probe with its defaults (steps=100, lr=0.5, weight_decay=1e-3) is wrong")  # fmt: skip
    zero = sub.linear_probe(z, y, zt, 3, steps=0)
    expect.close(zero, torch.zeros(len(zt), 3, dtype=torch.float64),
                 "with steps=0 the probe is still zero, so all the logits are 0")  # fmt: skip


@pytest.mark.points(1)
def test_constant_feature(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Does a constant training feature get sigma = 1 (finite logits)?"""
    require_probe(sub, trusted, data, seed)
    z, y, zt = _features(data, seed, 20, 4, 2)
    z[:, 1] = 3.0
    out = sub.linear_probe(z, y, zt, 2, **ARGS)
    expect.true(
        bool(torch.isfinite(expect.tensor(out)).all()),
        "a constant training feature gives NaN or inf logits: a dimension whose standard "
        "deviation is below 1e-12 gets sigma = 1",
    )
    _check(sub, trusted, z, y, zt, 2, ARGS, "linear_probe is wrong with a constant feature")


@pytest.mark.points(1)
def test_features_are_frozen(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """On features an encoder just produced, does the probe leave the encoder untouched
    and return detached logits?"""
    x, y, xt = _features(data, seed, 20, 3, 2)
    weight, bias = data.randn(seed + 5, 4, 3), data.randn(seed + 6, 4)
    try:
        facts = sub.helpers.probe_on_encoder(sub.linear_probe, weight, bias, x, y, xt, 2, ARGS)
    except StudentError as exc:
        expect.fail(
            f"linear_probe raised {exc.type} on features that require grad (the output of an "
            "encoder): detach the features first, the probe must not differentiate through them"
        )
    expect.true(
        all(g is None for g in facts["param_grads"]),
        "the probe sent gradients into the encoder that produced the features: detach "
        "train_z and test_z first (the features are frozen)",
    )
    expect.true(not facts["requires_grad"], "linear_probe should return detached logits")
    z, zt = x @ weight.T + bias, xt @ weight.T + bias
    expect.close(
        facts["out"],
        trusted.linear_probe(z, y, zt, 2, **ARGS),
        "linear_probe is wrong on an encoder's features",
        rtol=1e-6,
        atol=1e-8,
        diagnoses=_diagnoses(trusted, z, y, zt, 2, ARGS),
    )


@pytest.mark.points(1)
def test_inputs_unchanged_and_float32(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Are the inputs left unchanged, and float32 features kept in float32?"""
    require_probe(sub, trusted, data, seed)
    z, y, zt = _features(data, seed, 18, 3, 3)
    z, zt = z.float(), zt.float()
    res = sub.helpers.inputs_after(sub.linear_probe, [z, y, zt, 3], ARGS)
    expect.true(
        torch.equal(res["args_after"][0], z) and torch.equal(res["args_after"][2], zt),
        "linear_probe modified its inputs in place: standardise into new tensors",
    )
    out = expect.tensor(res["out"], "linear_probe should return a tensor")
    expect.true(out.dtype == torch.float32, "linear_probe should keep the features' dtype")
    expect.close(
        out,
        trusted.linear_probe(z, y, zt, 3, **ARGS),
        "linear_probe is wrong for float32 features",
        rtol=1e-3,
        atol=1e-4,
    )
