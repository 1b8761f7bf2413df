"""Task 5: the JEM objective."""

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_jem_loss")

N = 8
SIGN = (
    "the contrastive term has the wrong sign: the loss is + mean E(data) - mean E(samples) "
    "(energy down on data, up on samples; check the sign of energy_from_logits too)"
)


def _batch(seed: int) -> dict:
    """Labelled inputs, separate unlabelled data and samples, all float64."""
    g = torch.Generator().manual_seed(seed + 7)
    return {
        "x_lab": 1.5 * torch.randn(N, 2, generator=g, dtype=torch.float64),
        "y_lab": torch.randint(0, 3, (N,), generator=g),
        "x_data": 1.5 * torch.randn(N, 2, generator=g, dtype=torch.float64),
        "x_sample": 2.5 * torch.randn(N, 2, generator=g, dtype=torch.float64),
    }


def _terms(oracle, weights, b) -> dict:
    """Every piece of the objective (and of its typical misreadings), computed here."""
    f_lab = oracle.mlp_forward(weights, b["x_lab"])
    f_data = oracle.mlp_forward(weights, b["x_data"])
    f_sample = oracle.mlp_forward(weights, b["x_sample"])
    e_data = -torch.logsumexp(f_data, -1)
    e_sample = -torch.logsumexp(f_sample, -1)
    return {
        "ce": F.cross_entropy(f_lab, b["y_lab"]),
        "ce_sum": F.cross_entropy(f_lab, b["y_lab"], reduction="sum"),
        "ce_on_data": F.cross_entropy(f_data, b["y_lab"]),
        "e_data": e_data,
        "e_sample": e_sample,
        "e_data_class": -f_data[torch.arange(N), b["y_lab"]],
    }


def _scalar(value, what: str = "jem_loss") -> torch.Tensor:
    loss = expect.tensor(value, f"{what} should return the loss as a tensor (not .item())")
    expect.true(
        loss.numel() == 1, f"the loss should be a single number (got shape {tuple(loss.shape)})"
    )
    return loss.reshape(()).double()


def _call(sub, weights, b, **kwargs):
    res = sub.jem_loss(
        sub.helpers.mlp(weights), b["x_lab"], b["y_lab"], b["x_data"], b["x_sample"], **kwargs
    )
    expect.true(
        isinstance(res, tuple) and len(res) == 2, "jem_loss should return a tuple (loss, stats)"
    )
    return _scalar(res[0]), res[1]


@pytest.mark.points(2)
@pytest.mark.visible
def test_loss_matches_reference(sub, oracle, seed):
    """Is the loss CE(x_lab, y_lab) + mean E(x_data) - mean E(x_sample)?"""
    weights, b = oracle.mlp_weights(seed), _batch(seed)
    t = _terms(oracle, weights, b)
    loss, _ = _call(sub, weights, b)
    ce, ed, es = t["ce"], t["e_data"].mean(), t["e_sample"].mean()
    expect.close(
        loss,
        ce + ed - es,
        "jem_loss is wrong",
        diagnoses={
            SIGN: ce - ed + es,
            "the cross-entropy term is missing": ed - es,
            "the energy of the samples is missing: the contrastive term is "
            "mean E(data) - mean E(samples)": ce + ed,
            "the cross-entropy is computed on x_data; it belongs to the labelled batch x_lab": (
                t["ce_on_data"] + ed - es
            ),
            "the energies are summed over the batch; take their means": (
                ce + t["e_data"].sum() - t["e_sample"].sum()
            ),
            "the cross-entropy is summed over the batch; take its mean (F.cross_entropy)": (
                t["ce_sum"] + ed - es
            ),
            "the data term uses the class energy E(x, y); the generative term needs "
            "E(x) = -logsumexp f(x)": ce + t["e_data_class"].mean() - es,
        },
    )


@pytest.mark.points(1)
def test_energy_regulariser(sub, oracle, seed):
    """With energy_reg = α, is α·(mean E(data)² + mean E(samples)²) added to the loss?"""
    weights, b = oracle.mlp_weights(seed + 1), _batch(seed + 1)
    t = _terms(oracle, weights, b)
    alpha = 0.25
    loss, _ = _call(sub, weights, b, energy_reg=alpha)
    ed2, es2 = (t["e_data"] ** 2).mean(), (t["e_sample"] ** 2).mean()
    base = t["ce"] + t["e_data"].mean() - t["e_sample"].mean()
    expect.close(
        loss,
        base + alpha * (ed2 + es2),
        "jem_loss with energy_reg is wrong",
        diagnoses={
            "energy_reg is ignored: add energy_reg * (mean E(data)^2 + mean E(samples)^2)": base,
            "the regulariser squares the mean energy; it is the mean of the squared energies": (
                base + alpha * (t["e_data"].mean() ** 2 + t["e_sample"].mean() ** 2)
            ),
            "the regulariser covers only the data; it includes the samples' energies too": (
                base + alpha * ed2
            ),
            "the regulariser is subtracted; it is a penalty, add it": base - alpha * (ed2 + es2),
            "the regulariser is not multiplied by energy_reg": base + ed2 + es2,
        },
    )


@pytest.mark.points(1)
def test_stats(sub, oracle, seed):
    """Does stats hold the Python floats ce, e_data and e_sample (means over the batch)?"""
    weights, b = oracle.mlp_weights(seed + 2), _batch(seed + 2)
    t = _terms(oracle, weights, b)
    _, stats = _call(sub, weights, b, energy_reg=0.5)
    expect.true(isinstance(stats, dict), "stats should be a dict")
    missing = sorted({"ce", "e_data", "e_sample"} - set(stats))
    expect.true(not missing, f"stats is missing the key(s) {', '.join(missing)}")
    for key in ("ce", "e_data", "e_sample"):
        expect.true(
            isinstance(stats[key], float),
            f"stats[{key!r}] should be a Python float (use .item()), got "
            f"{type(stats[key]).__name__}",
        )
    for key, value in (
        ("ce", t["ce"]),
        ("e_data", t["e_data"].mean()),
        ("e_sample", t["e_sample"].mean()),
    ):
        expect.close(
            stats[key],
            value.item(),
            f"stats[{key!r}] is wrong",
            diagnoses={"it has the wrong sign": -value.item()},
        )


def _autograd_grads(oracle, weights, b, x_s0, mix, detach=True, sample_term=True):
    """Parameter gradients of the objective where x_sample = x_s0 + mix·tanh(f(x_s0))[:, :2]."""
    params = {k: v.clone().requires_grad_(True) for k, v in weights.items()}
    x_sample = x_s0 + mix * torch.tanh(oracle.mlp_forward(params, x_s0))[:, : x_s0.shape[1]]
    if detach:
        x_sample = x_sample.detach()
    ce = F.cross_entropy(oracle.mlp_forward(params, b["x_lab"]), b["y_lab"])
    loss = ce - torch.logsumexp(oracle.mlp_forward(params, b["x_data"]), -1).mean()
    if sample_term:
        loss = loss + torch.logsumexp(oracle.mlp_forward(params, x_sample), -1).mean()
    grads = torch.autograd.grad(loss, [params[k] for k in ("w1", "b1", "w2", "b2")])
    return list(grads)


def _student_grads(sub, oracle, weights, b, x_s0, mix):
    try:
        facts = sub.helpers.jem_loss_facts(
            sub.jem_loss, weights, b["x_lab"], b["y_lab"], b["x_data"], x_s0, mix
        )
    except StudentError as exc:
        expect.fail(
            f"jem_loss followed by loss.backward() raised {exc.type}: the loss must be a "
            "tensor that is still connected to the model's parameters (no .item(), .detach() "
            "or torch.no_grad() around it)"
        )
    grads = facts["param_grads"]
    expect.true(
        all(g is not None for g in grads),
        "after loss.backward() some parameters of the model have no gradient: the loss must "
        "depend on the model through the cross-entropy and the energies",
    )
    return torch.cat([g.reshape(-1) for g in grads])


def _flat(grads):
    return torch.cat([g.reshape(-1) for g in grads])


@pytest.mark.points(1)
def test_gradients(sub, oracle, seed):
    """Does loss.backward() give the model's parameters the gradients of the JEM objective?"""
    weights, b = oracle.mlp_weights(seed + 3), _batch(seed + 3)
    got = _student_grads(sub, oracle, weights, b, b["x_sample"], 0.0)
    expect.close(
        got,
        _flat(_autograd_grads(oracle, weights, b, b["x_sample"], 0.0)),
        "the gradients of jem_loss with respect to the model's parameters are wrong",
        diagnoses={
            "no gradient flows through the samples' energy: x_sample is a constant, but "
            "E(x_sample) must still be differentiated with respect to the model (detach the "
            "samples, not their energy)": _flat(
                _autograd_grads(oracle, weights, b, b["x_sample"], 0.0, sample_term=False)
            ),
        },
    )


@pytest.mark.points(1)
def test_samples_carry_no_gradient(sub, oracle, seed):
    """When x_sample depends on the model's parameters, does jem_loss treat it as a constant?"""
    weights, b = oracle.mlp_weights(seed + 4), _batch(seed + 4)
    x_s0 = b["x_sample"]
    got = _student_grads(sub, oracle, weights, b, x_s0, 0.7)
    expect.close(
        got,
        _flat(_autograd_grads(oracle, weights, b, x_s0, 0.7)),
        "the gradients of jem_loss are wrong when x_sample was produced from the model",
        diagnoses={
            "x_sample is not detached: gradients flow back into whatever produced the "
            "samples; use x_sample.detach() inside jem_loss": _flat(
                _autograd_grads(oracle, weights, b, x_s0, 0.7, detach=False)
            ),
        },
    )
