"""Task 7: the three OOD scores of JEM's table (max-softmax, -E(x), gradient norm).

The student's ood_scores runs in the sandbox on a batch-norm classifier built there from
the grader's weights (`sandbox_helpers.bn_classifier`); the trusted side builds the same
classifier from the same weights and computes the scores itself. In train mode the batch
norm mixes the samples and moves its running statistics, so a function that forgets
`model.eval()` gives different scores and leaves traces the helper reports.
"""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_ood_scores")

KEYS = ("max_softmax", "neg_energy", "grad_norm")
N = 12  # differs from the input, hidden and class sizes
TOL = {"rtol": 1e-6, "atol": 1e-8}
NOT_EVAL = (
    "the model is not in evaluation mode: batch norm used the batch's own statistics "
    "(call model.eval() before computing the scores)"
)


def _x(seed, shape=(N, 2)):
    g = torch.Generator().manual_seed(seed + 7)
    return 1.5 * torch.randn(*shape, generator=g, dtype=torch.float64)


def _weights(oracle, seed, d_in=2):
    return oracle.bn_weights(seed, d_in=d_in)


def _scores(trusted_helpers, weights, x, train=False):
    """The trusted scores of the grader's classifier (a fresh copy, in eval mode unless
    `train`), and what typical misreadings compute instead."""
    net = trusted_helpers.bn_classifier(weights).train(train)
    xr = x.detach().clone().requires_grad_(True)
    logits = net(xr)
    lse = torch.logsumexp(logits, dim=1)
    (grad,) = torch.autograd.grad(lse.sum(), xr, retain_graph=True)
    (grad_max,) = torch.autograd.grad(logits.max(dim=1).values.sum(), xr)
    norm = grad.flatten(1).norm(dim=1)
    logits = logits.detach()
    return {
        "max_softmax": logits.softmax(dim=1).max(dim=1).values,
        "neg_energy": lse.detach(),
        "grad_norm": norm,
        "max_logit": logits.max(dim=1).values,
        "squared": norm**2,
        "batch": grad.norm().expand(len(x)),
        "mean": norm / len(x),
        "l1": grad.flatten(1).abs().sum(dim=1),
        "grad_max": grad_max.flatten(1).norm(dim=1),
    }


def _facts(sub, oracle, seed, x, *, d_in=2, train=False, no_grad=False, preset=None):
    weights = _weights(oracle, seed, d_in)
    preset = preset if preset is not None else [None] * 6
    try:
        facts = sub.helpers.ood_facts(sub.ood_scores, weights, x, train, no_grad, preset)
    except StudentError as exc:
        where = " under torch.no_grad()" if no_grad else ""
        hint = " (compute the gradient inside torch.enable_grad())" if no_grad else ""
        expect.fail(f"ood_scores raised {exc.type}{where}{hint}")
    expect.true(
        isinstance(facts, dict) and facts.get("is_dict") is True,
        'ood_scores should return a dict with the keys "max_softmax", "neg_energy" and "grad_norm"',
    )
    return weights, facts


def _score(facts, key, n=N):
    value = facts["scores"].get(key)
    expect.true(value is not None, f'ood_scores is missing the key "{key}" (a tensor)')
    out = expect.tensor(value, f'ood_scores()["{key}"] should be a tensor')
    expect.shape(out, (n,), f'ood_scores()["{key}"] should have one value per sample, shape (N,)')
    return out


def _matches(facts, expected, key, n=N):
    value = facts["scores"].get(key)
    return (
        isinstance(value, torch.Tensor)
        and tuple(value.shape) == (n,)
        and expect.is_close(value, expected[key], **TOL)
    )


def require_scores(sub, oracle, trusted_helpers, seed):
    """The property tests judge a working ood_scores: on a classifier in eval mode, at
    least two of its three scores equal the trusted ones."""
    x = _x(seed + 100)
    weights, facts = _facts(sub, oracle, seed + 100, x)
    expected = _scores(trusted_helpers, weights, x)
    expect.true(
        sum(_matches(facts, expected, k) for k in KEYS) >= 2,
        "ood_scores does not compute the scores on a classifier in evaluation mode (fewer "
        "than two of the three are right): this property is only checked on working scores",
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_ood_keys_and_shapes(sub, oracle, trusted_helpers, seed):
    """Does ood_scores return a dict of exactly the three keys, each a float64 (N,) tensor?"""
    x = _x(seed)
    _, facts = _facts(sub, oracle, seed, x)
    for key in KEYS:
        out = _score(facts, key)
        expect.true(
            out.dtype == torch.float64,
            f'ood_scores()["{key}"] should keep the dtype of x (float64 here)',
        )
    expect.true(
        facts["n_keys"] == len(KEYS),
        'ood_scores should return exactly the keys "max_softmax", "neg_energy" and "grad_norm"',
    )
    require_scores(sub, oracle, trusted_helpers, seed)


@pytest.mark.points(1)
def test_max_softmax(sub, oracle, trusted_helpers, seed):
    """Is "max_softmax" the largest softmax probability of each sample?"""
    x = _x(seed)
    weights, facts = _facts(sub, oracle, seed, x)
    out = _score(facts, "max_softmax")
    exp = _scores(trusted_helpers, weights, x)
    expect.close(
        out,
        exp["max_softmax"],
        'ood_scores()["max_softmax"] is wrong',
        **TOL,
        diagnoses={
            "it is the largest logit; the score is the largest softmax probability": exp[
                "max_logit"
            ]
        },
    )


@pytest.mark.points(1)
def test_neg_energy(sub, oracle, trusted_helpers, seed):
    """Is "neg_energy" -E(x) = logsumexp of each sample's logits?"""
    x = _x(seed)
    weights, facts = _facts(sub, oracle, seed, x)
    out = _score(facts, "neg_energy")
    exp = _scores(trusted_helpers, weights, x)
    expect.close(
        out,
        exp["neg_energy"],
        'ood_scores()["neg_energy"] is wrong',
        **TOL,
        diagnoses={
            "it is E(x); the score is -E(x) = logsumexp f(x) (higher = in-distribution)": (
                -exp["neg_energy"]
            ),
            "it is the largest logit; -E(x) is the logsumexp of the logits": exp["max_logit"],
        },
    )


def _check_grad_norm(out, exp, message):
    expect.close(
        out,
        exp["grad_norm"],
        message,
        **TOL,
        diagnoses={
            "it is the squared norm; take the L2 norm (the square root)": exp["squared"],
            "it is the norm of the gradient of the whole batch; take one norm per sample": (
                exp["batch"]
            ),
            "the scores were averaged over the batch before differentiating: differentiate "
            "their sum, so that each sample gets its own gradient": exp["mean"],
            "it is the L1 norm; take the L2 (Euclidean) norm": exp["l1"],
            "it is the gradient of the largest logit; take the gradient of -E(x) = logsumexp "
            "f(x)": exp["grad_max"],
        },
    )


@pytest.mark.points(2)
def test_grad_norm(sub, oracle, trusted_helpers, seed):
    """Is "grad_norm" the L2 norm of each sample's gradient of -E(x), for vectors and for
    image-shaped inputs (the norm over all of a sample's dimensions)?"""
    x = _x(seed)
    weights, facts = _facts(sub, oracle, seed, x)
    value = facts["scores"].get("grad_norm")
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        expect.fail(
            'ood_scores()["grad_norm"] is a single number: take the norm of each sample\'s '
            "gradient, not of the whole batch's"
        )
    out = _score(facts, "grad_norm")
    _check_grad_norm(
        out, _scores(trusted_helpers, weights, x), 'ood_scores()["grad_norm"] is wrong'
    )
    images = _x(seed + 1, (N, 2, 3))
    weights, facts = _facts(sub, oracle, seed + 1, images, d_in=6)
    out = _score(facts, "grad_norm")
    _check_grad_norm(
        out,
        _scores(trusted_helpers, weights, images),
        'ood_scores()["grad_norm"] is wrong for inputs of shape (N, 2, 3): take the norm over '
        "all of a sample's dimensions",
    )


@pytest.mark.points(2)
def test_eval_mode(sub, oracle, trusted_helpers, seed):
    """Given a batch-norm model in train mode: are the scores those the same model gives in
    eval mode, is it back in train mode afterwards, and are its running statistics unchanged?"""
    require_scores(sub, oracle, trusted_helpers, seed)
    x = _x(seed + 2)
    weights, facts = _facts(sub, oracle, seed + 2, x, train=True)
    _, in_eval = _facts(sub, oracle, seed + 2, x)
    wrong = _scores(trusted_helpers, weights, x, train=True)
    for key in KEYS:
        out = _score(facts, key)
        if expect.is_close(out, _score(in_eval, key), **TOL):
            continue
        if expect.is_close(out, wrong[key], **TOL):
            expect.fail(
                f'ood_scores()["{key}"] is wrong for a model given in train mode: {NOT_EVAL}'
            )
        expect.fail(
            f'ood_scores()["{key}"] differs between the same model given in train mode and in '
            "evaluation mode: compute the scores in evaluation mode (model.eval())"
        )
    expect.true(
        facts["training_after"] is True,
        "ood_scores left a model that was in train mode in evaluation mode: put it back in "
        "the mode it had (model.train(was_training))",
    )
    net = trusted_helpers.bn_classifier(weights)
    before = list(net.buffers())
    after = facts["buffers"]
    expect.true(
        isinstance(after, list)
        and len(after) == len(before)
        and all(expect.is_close(a, b, rtol=0, atol=0) for a, b in zip(after, before)),
        "ood_scores changed the batch norm's running statistics: the model was called in "
        "train mode (call model.eval() before the forward pass)",
    )


@pytest.mark.points(1)
def test_leaves_model_and_input(sub, oracle, trusted_helpers, seed):
    """Given a model in eval mode with .grad set: are .grad, the mode and x (values and
    requires_grad) left as they were, and are the scores detached?"""
    require_scores(sub, oracle, trusted_helpers, seed)
    x = _x(seed + 3)
    g = torch.Generator().manual_seed(seed + 3)
    shapes = [
        p.shape for p in trusted_helpers.bn_classifier(_weights(oracle, seed + 3)).parameters()
    ]
    preset = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    _, facts = _facts(sub, oracle, seed + 3, x, preset=preset)
    grads = facts["param_grads"]
    expect.true(
        isinstance(grads, list)
        and len(grads) == len(preset)
        and all(
            isinstance(a, torch.Tensor) and expect.is_close(a, b, rtol=0, atol=0)
            for a, b in zip(grads, preset)
        ),
        "ood_scores changed the .grad of the model's parameters: take the gradient with "
        "torch.autograd.grad with respect to x, not with .backward()",
    )
    expect.true(
        facts["training_after"] is False,
        "ood_scores left a model that was in evaluation mode in train mode: put it back in "
        "the mode it had (model.train(was_training))",
    )
    expect.true(
        facts["x_requires_grad"] is False,
        "ood_scores set requires_grad on the caller's tensor x: work on x.detach() "
        "(a copy that requires grad)",
    )
    expect.true(
        expect.is_close(facts["x_after"], x, rtol=0, atol=0), "ood_scores modified x in place"
    )
    expect.true(
        not any(facts["attached"].values()),
        "ood_scores returns scores that are not detached: they must carry no autograd history",
    )


@pytest.mark.points(1)
def test_under_no_grad(sub, oracle, trusted_helpers, seed):
    """Called inside torch.no_grad(), are the three scores the same as outside it?"""
    require_scores(sub, oracle, trusted_helpers, seed)
    x = _x(seed + 4)
    _, facts = _facts(sub, oracle, seed + 4, x, no_grad=True)
    _, outside = _facts(sub, oracle, seed + 4, x)
    for key in KEYS:
        expect.true(
            expect.is_close(_score(facts, key), _score(outside, key), **TOL),
            f'ood_scores()["{key}"] changes when ood_scores is called under torch.no_grad(): '
            "compute the gradient inside torch.enable_grad()",
        )
