"""Task 6: save_checkpoint, load_checkpoint, train_resumable. The training runs in the
sandbox on models built by the helpers; the trained weights are fetched and compared with
the same training run here with the reference's given train_step and a trusted twin."""

import tempfile

import pytest
import torch
from conftest import call

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_checkpoint")
TOTAL, EVERY = 32, 5
LAST_JOB_SEED = 13  # the generator seed of the third job of test_resume_equals_uninterrupted


def weights(seed):
    g = torch.Generator().manual_seed(seed)
    shapes = {"0.weight": (16, 8), "0.bias": (16,), "2.weight": (3, 16), "2.bias": (3,)}
    return {k: 0.5 * torch.randn(s, generator=g, dtype=torch.float64) for k, s in shapes.items()}


def problem(seed):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(96, 8, generator=g, dtype=torch.float64)
    return X, X[:, :3].argmax(1)


def straight(ref, trusted_helpers, init, seed, X, y, steps, reset_at=None, reseed_at=None):
    """The uninterrupted run here (or a run whose optimizer / generator is reset at a step)."""
    model = trusted_helpers.mlp(init)
    opt, gen = trusted_helpers.adam(model), torch.Generator().manual_seed(seed)
    for step in range(steps):
        if step == reset_at:
            opt = trusted_helpers.adam(model)
        if step == reseed_at:
            gen = torch.Generator().manual_seed(LAST_JOB_SEED)
        ref.train_step(model, opt, X, y, gen)
    return model, opt, gen


def fetched(sub, trusted_helpers, report, what):
    try:
        state = sub.builtins.state_dict(report["model"])
    except StudentError as exc:
        expect.fail(f"{what}: the model could not be read back ({exc.type})")
    return expect.weights(state, trusted_helpers.mlp(weights(0)), what)


def same(a, b):
    return all(
        torch.allclose(p, q, rtol=1e-7, atol=1e-9) for p, q in zip(a.parameters(), b.parameters())
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_roundtrip(sub, ref, trusted_helpers):
    """load_checkpoint restores the weights, Adam's moments, the generator and the step."""
    X, y = problem(3)
    got = call(
        sub.helpers.roundtrip,
        sub.train_step,
        sub.save_checkpoint,
        sub.load_checkpoint,
        weights(1),
        weights(2),
        X,
        y,
        5,
        7,
        7,
        what="saving and loading a checkpoint",
    )
    model, opt, gen = straight(ref, trusted_helpers, weights(1), 5, X, y, 7)
    expect.true(got["step"] == 7, "load_checkpoint must return the step that was saved")
    for (name, p), q in zip(model.state_dict().items(), got["weights"].values()):
        expect.close(q, p, f"load_checkpoint does not restore the model's weights ({name})")
    for p, moments in zip(model.parameters(), got["moments"]):
        expect.true(
            moments is not None,
            "load_checkpoint does not restore the optimizer's state "
            "(Adam's moment estimates are missing)",
        )
        expect.close(moments[0], opt.state[p]["exp_avg"], "the optimizer's state is not restored")
        expect.close(
            moments[1], opt.state[p]["exp_avg_sq"], "the optimizer's state is not restored"
        )
    draw = torch.randint(1000, (8,), generator=gen)
    expect.true(
        torch.equal(torch.as_tensor(got["draw"]), draw),
        "load_checkpoint does not restore the generator's state",
    )


def run(sub, X, y, cuts, seeds=(11, 12, 13, 14)):
    inits = [weights(10), *(weights(20 + i) for i in range(len(cuts) - 1))]
    return call(
        sub.helpers.resumable_run,
        sub.train_resumable,
        inits,
        list(seeds[: len(cuts)]),
        X,
        y,
        TOTAL,
        EVERY,
        cuts,
        what="train_resumable",
    )


@pytest.mark.points(1)
def test_uninterrupted(sub, ref, trusted_helpers):
    """Without a checkpoint and without a kill: total_steps steps of train_step, a checkpoint saved."""
    X, y = problem(4)
    report = run(sub, X, y, [None])
    expect.true(
        report["steps"] == [TOTAL], "train_resumable must return the step reached (total_steps)"
    )
    expect.true(report["exists"], "train_resumable saves no checkpoint at ckpt_path")
    model = fetched(sub, trusted_helpers, report, "the model train_resumable trained")
    want, _, _ = straight(ref, trusted_helpers, weights(10), 11, X, y, TOTAL)
    expect.true(
        same(model, want),
        "train_resumable does not train the model for total_steps steps "
        "of train_step (with the given optimizer and generator)",
    )


@pytest.mark.points(2)
def test_resume_equals_uninterrupted(sub, ref, trusted_helpers):
    """Killed after 13 steps, resumed, killed again after 4, resumed to the end, restarted once
    more (max_steps=0: it only loads the final checkpoint): the uninterrupted model."""
    X, y = problem(5)
    cuts = [13, 4, None, 0]
    report = run(sub, X, y, cuts)
    with tempfile.TemporaryDirectory() as folder:
        want_steps = []
        for i, cut in enumerate(cuts):
            model = trusted_helpers.mlp(weights(10) if i == 0 else weights(20 + i - 1))
            opt, gen = trusted_helpers.adam(model), torch.Generator().manual_seed(11 + i)
            want_steps.append(
                ref.train_resumable(model, opt, X, y, gen, TOTAL, f"{folder}/c.pt", EVERY, cut)
            )
    expect.true(
        report["steps"] == want_steps,
        "train_resumable returns the wrong steps: a job killed after 13 steps resumes from the "
        "checkpoint of step 10, max_steps counts the steps of this call, and the last step "
        "(total_steps) is checkpointed",
    )
    model = fetched(sub, trusted_helpers, report, "the resumed model")
    want, _, _ = straight(ref, trusted_helpers, weights(10), 11, X, y, TOTAL)
    if not same(model, want):
        diagnoses = {
            "the optimizer's state is not restored when resuming": {"reset_at": 10},
            "the generator's state is not restored when resuming": {"reseed_at": 10},
        }
        for defect, kwargs in diagnoses.items():
            bug, _, _ = straight(ref, trusted_helpers, weights(10), 11, X, y, TOTAL, **kwargs)
            expect.true(
                not same(model, bug),
                f"the resumed run differs from the uninterrupted one: {defect}",
            )
        expect.fail(
            "the resumed run differs from the uninterrupted one (resume from the last checkpoint, "
            "with model, optimizer, generator and step restored)"
        )
