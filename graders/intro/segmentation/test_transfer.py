"""Task 6: freeze_features(model) and make_finetune_model(pretrained, n_classes).

Both run in the sandbox on the grader's own DigitCNN (sandbox_helpers.DigitCNN, the
notebook's architecture); one SGD step on cross-entropy is taken there and the facts
(flags, gradients, parameter values) are judged here. The fine-tuned model's output is
compared with the grader's DigitCNN carrying the parameters it reports.
"""

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_transfer")

LR = 0.5


def _setup(trusted_helpers, gen, n_classes=5):
    with torch.random.fork_rng():
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        net = trusted_helpers.DigitCNN(n_classes)
    state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    x = torch.rand(6, 1, 8, 8, generator=gen)
    y = torch.randint(0, n_classes, (6,), generator=gen)
    return state, x, y


def _parts(names):
    features = [n for n in names if n.startswith("features.")]
    head = [n for n in names if n.startswith("head.")]
    return features, head


@pytest.mark.points(2)
@pytest.mark.visible
def test_freeze_features(sub, trusted_helpers, gen):
    """After freeze_features (also on a model that was entirely frozen before) only the
    head is trainable, returns the model itself, and a training step changes the head but
    no feature weight."""
    state, x, y = _setup(trusted_helpers, gen)
    features, head = _parts(list(state))
    for prefreeze in (False, True):
        try:
            facts = sub.helpers.freeze_facts(sub.freeze_features, state, x, y, LR, prefreeze)
        except StudentError as exc:
            expect.fail(f"freeze_features raised {exc.type}")
        expect.true(facts["returned_model"], "freeze_features must return the model it is given")
        flags = facts["requires_grad"]
        expect.true(
            not any(flags[n] for n in features),
            "after freeze_features some parameters of model.features still require grad",
        )
        expect.true(
            all(flags[n] for n in head),
            "after freeze_features the head must be trainable (requires_grad=True)"
            + (", also when it was frozen before" if prefreeze else ""),
        )
        expect.true(
            not any(facts["has_grad"][n] for n in features)
            and all(facts["has_grad"][n] for n in head),
            "after freeze_features a backward pass must give gradients to the head only",
        )
        after = facts["after"]
        expect.true(
            all(torch.equal(after[n], state[n]) for n in features),
            "a training step after freeze_features changed frozen feature weights",
        )
        expect.true(
            any(not torch.equal(after[n], state[n]) for n in head),
            "a training step after freeze_features did not change the head",
        )


@pytest.mark.points(2)
def test_make_finetune_model(sub, trusted_helpers, gen):
    """make_finetune_model returns a new model computing head(features(x)) with a copy of
    the pretrained features (frozen) and a fresh nn.Linear(128, n_classes) head (trainable),
    and leaves the pretrained model untouched, also after training the new one."""
    state, x, y = _setup(trusted_helpers, gen)
    features, head = _parts(list(state))
    bound = 1 / 128**0.5  # nn.Linear's default initialisation is U(-1/sqrt(in), 1/sqrt(in))
    for n_classes in (3, 5):
        try:
            facts = sub.helpers.finetune_facts(sub.make_finetune_model, state, n_classes, x, y, LR)
        except StudentError as exc:
            expect.fail(f"make_finetune_model(pretrained, {n_classes}) raised {exc.type}")
        expect.true(
            facts["is_module"] and not facts["same_object"],
            "make_finetune_model must return a new model (a deep copy), not the pretrained one",
        )
        got = facts["state"]
        expect.true(
            sorted(got) == sorted(state),
            f"the fine-tuning model must have the parameters of DigitCNN (features.*, head.*); "
            f"found {sorted(got)[:6]}",
        )
        expect.true(
            tuple(got["head.weight"].shape) == (n_classes, 128)
            and tuple(got["head.bias"].shape) == (n_classes,),
            f"the new head must be nn.Linear(pretrained.head.in_features, {n_classes})",
        )
        expect.true(
            all(torch.equal(got[n], state[n]) for n in features),
            "the fine-tuning model's features must be a copy of the pretrained features",
        )
        expect.true(
            all(bool((got[n].abs() <= bound + 1e-6).all()) for n in head)
            and not torch.equal(
                got["head.weight"][: state["head.weight"].shape[0]],
                state["head.weight"][:n_classes],
            ),
            "the head must be a freshly initialised nn.Linear, not the pretrained head",
        )
        twin = trusted_helpers.DigitCNN(n_classes)
        twin.load_state_dict(got)
        with torch.no_grad():
            expected = twin(x)
        expect.close(
            facts["out"],
            expected,
            "the fine-tuning model does not compute head(features(x)) with its parameters",
            rtol=1e-5,
            atol=1e-6,
        )
        flags = facts["requires_grad"]
        expect.true(
            not any(flags[n] for n in features) and all(flags[n] for n in head),
            "in the fine-tuning model the features must be frozen and the head trainable",
        )
        expect.true(
            all(facts["pretrained_flags"].values()),
            "make_finetune_model froze the pretrained model itself: freeze the copy only",
        )
        expect.true(
            all(torch.equal(facts["pretrained_after"][n], state[n]) for n in state),
            "training the fine-tuning model changed the pretrained model (the copy shares its "
            "tensors, or the pretrained model was modified): use copy.deepcopy",
        )
        after = facts["state_after"]
        expect.true(
            all(torch.equal(after[n], got[n]) for n in features)
            and any(not torch.equal(after[n], got[n]) for n in head),
            "a training step on the fine-tuning model must change its head and no feature weight",
        )
