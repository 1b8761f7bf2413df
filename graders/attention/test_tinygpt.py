"""Task 6: TinyGPT(vocab_size, block_size, embed_dim, num_heads, num_layers)."""

import math

import pytest
import torch
import torch.nn.functional as F

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_tinygpt")
MSG = "TinyGPT's logits are wrong"


def tokens(gen, vocab, *shape):
    return torch.randint(0, vocab, shape, generator=gen)


def trusted_variants(theirs, idx):
    """What common architecture mistakes would give, computed with the reference's weights."""
    T = idx.size(1)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    tok = theirs.tok_emb(idx)
    pos = theirs.pos_emb(torch.arange(T))

    def run(x, block_mask, final_norm=True):
        for block in theirs.blocks:
            x = block(x, mask=block_mask)
        return theirs.head(theirs.ln_f(x) if final_norm else x)

    with torch.no_grad():
        return {
            "the blocks are not given the causal mask": run(tok + pos, None),
            "the position embedding is not added to the token embedding": run(tok, mask),
            "the final LayerNorm ln_f is not applied before the head": run(tok + pos, mask, False),
        }


@pytest.mark.points(1)
@pytest.mark.visible
def test_shapes(sub, ref, gen, randomize, load_weights):
    """logits have shape (B, T, vocab_size), loss is None without targets, T < block_size works."""
    model = sub.TinyGPT(11, 8, 16, 2, 2)
    expect.true(sub.get(model.block_size) == 8, "TinyGPT must store block_size as self.block_size")
    for T in (8, 3):
        result = model(tokens(gen, 11, 2, T))
        expect.true(
            isinstance(result, (tuple, list)) and len(result) == 2,
            "forward must return a tuple (logits, loss)",
        )
        expect.shape(result[0], (2, T, 11), f"logits for T={T} must have shape (B, T, vocab_size)")
        expect.true(result[1] is None, "without targets the loss must be None")
    require_forward(sub, ref, gen, randomize, load_weights)


@pytest.mark.points(1)
def test_loss_is_mean_cross_entropy(sub, ref, gen, randomize, load_weights):
    """The loss is the mean cross-entropy of the returned logits over all B·T positions."""
    model = sub.TinyGPT(13, 6, 16, 2, 1)
    idx, targets = tokens(gen, 13, 4, 6), tokens(gen, 13, 4, 6)
    logits, loss = model(idx, targets)
    logits = expect.tensor(logits, "logits must be a tensor").double()
    loss = expect.tensor(loss, "with targets the loss must be a tensor")
    expect.true(loss.numel() == 1, f"the loss must be a scalar, got shape {tuple(loss.shape)}")
    loss = loss.reshape(())
    expected = F.cross_entropy(logits.reshape(-1, 13), targets.reshape(-1))
    expect.close(
        loss, expected, "the loss is not the mean cross-entropy of the logits", rtol=1e-4,
        diagnoses={
            "the loss is summed instead of averaged over the B·T positions": expected * 24,
            "the loss is summed over time and averaged over the batch; average over all "
            "B·T positions": expected * 6,
        },
    )  # fmt: skip
    require_forward(sub, ref, gen, randomize, load_weights)


@pytest.mark.points(1)
def test_loss_at_initialisation(sub, ref, gen, copy_trained, randomize, load_weights):
    """At initialisation the loss is close to ln(vocab_size).

    Judged twice: on the loss the model returns, and here, on the reference TinyGPT carrying
    the model's initial weights (fetched as tensors), so the initialisation itself is what
    is measured."""
    V = 48
    model = sub.TinyGPT(V, 16, 32, 4, 2)
    idx, targets = tokens(gen, V, 16, 16), tokens(gen, V, 16, 16)
    _, loss = model(idx, targets)
    _near_ln_v(expect.tensor(loss, "the loss must be a tensor"), V, "the model's loss")
    twin = copy_trained(sub, model, ref.TinyGPT(V, 16, 32, 4, 2), "TinyGPT").eval()
    with torch.no_grad():
        logits = twin(idx)[0]
    own = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    _near_ln_v(own, V, "with the model's initial weights")
    for name, module in twin.named_modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Embedding)):
            w = module.weight.detach().double()
            expect.true(
                abs(w.mean().item()) < 0.005 and 0.017 < w.std().item() < 0.023,
                f"the initial weight of {name} has mean {w.mean().item():.3f} and standard "
                f"deviation {w.std().item():.3f}: initialise every Linear and Embedding weight "
                "from N(0, 0.02²) (mean 0, std 0.02)",
            )
    require_forward(sub, ref, gen, randomize, load_weights)


def _near_ln_v(loss: torch.Tensor, V: int, whose: str) -> None:
    value = float(loss)
    expect.true(
        abs(value - math.log(V)) < 0.06,
        f"the loss at initialisation ({whose}) is {value:.3f}, not close to ln V = "
        f"{math.log(V):.3f}: initialise Linear and Embedding weights from N(0, 0.02²) and "
        "biases to zero (self.apply(self._init_weights))",
    )


def _with_reference_weights(sub, ref, gen, randomize, load_weights, layers=2):
    """The submission's logits and the reference's, with the same random weights, and what
    typical architecture mistakes would give."""
    theirs = ref.TinyGPT(17, 7, 12, 3, layers).double().eval()
    params = randomize(theirs, gen)
    mine = sub.TinyGPT(17, 7, 12, 3, layers)
    load_weights(sub, mine, params, "TinyGPT")
    mine.eval()
    idx = tokens(gen, 17, 3, 7)
    with torch.no_grad():
        expected = theirs(idx)[0]
    got = mine(idx)
    expect.true(isinstance(got, (tuple, list)), "forward must return a tuple (logits, loss)")
    return got[0], expected, trusted_variants(theirs, idx)


def require_forward(sub, ref, gen, randomize, load_weights) -> None:
    """The shape, loss and causality tests pay for a working model only: with the
    reference's weights its logits must be the reference's or what a typical mistake gives
    (zeros, a one-hot of the input or any other stand-in have the properties too). Without
    blocks, so that a mistake in an earlier task does not cost these points as well."""
    logits, expected, mistakes = _with_reference_weights(
        sub, ref, gen, randomize, load_weights, layers=0
    )
    expect.true(
        any(expect.is_close(logits, c) for c in (expected, *mistakes.values())),
        "this point is for a working TinyGPT: with given weights (and num_layers=0) its logits "
        "are not head(ln_f(tok_emb(idx) + pos_emb(positions))) (nor a typical mistake in it)",
    )


@pytest.mark.points(2)
def test_matches_reference(sub, ref, gen, randomize, load_weights):
    """With the same weights, the logits equal the reference model's."""
    logits, expected, mistakes = _with_reference_weights(sub, ref, gen, randomize, load_weights)
    expect.close(logits, expected, MSG, diagnoses=mistakes)


@pytest.mark.points(1)
def test_causal_by_perturbation(sub, ref, gen, randomize, load_weights):
    """Changing tokens after position t leaves the logits up to t unchanged."""
    model = sub.TinyGPT(13, 10, 16, 2, 2)
    model.double()
    model.eval()
    idx = tokens(gen, 13, 3, 10)
    first_changed = idx.clone()
    first_changed[:, 0] = (first_changed[:, 0] + 1) % 13
    expect.true(
        not torch.allclose(expect.tensor(model(first_changed)[0]), expect.tensor(model(idx)[0])),
        "TinyGPT's logits do not depend on the tokens at all",
    )
    for t in (0, 4, 8):
        changed = idx.clone()
        changed[:, t + 1 :] = (changed[:, t + 1 :] + 1 + tokens(gen, 12, 3, 9 - t)) % 13
        before, after = model(idx)[0], model(changed)[0]
        expect.close(
            expect.tensor(after)[:, : t + 1], expect.tensor(before)[:, : t + 1],
            f"TinyGPT is not causal: the logits at position {t} change when later tokens change "
            "(use the causal mask in every block)",
        )  # fmt: skip
    require_forward(sub, ref, gen, randomize, load_weights)


@pytest.mark.points(3)
@pytest.mark.time_limit(60)
def test_learns_reversal(sub, ref, gen, seed, trusted_helpers, copy_trained):
    """Trained for 80 steps inside the sandbox, TinyGPT reverses unseen 6-digit strings.

    The trained weights come back as plain tensors and the answers are decoded here, by the
    reference TinyGPT carrying them (its forward equals the student's, test_matches_reference),
    so nothing in the sandbox can report a success it did not earn."""
    model, losses = sub.helpers.train_reversal(seed % 1000)
    expect.true(
        isinstance(losses, list) and all(math.isfinite(v) for v in losses),
        "the training loss became NaN or inf",
    )
    trained = ref.TinyGPT(*trusted_helpers.reversal_model_args()).eval()
    copy_trained(sub, model, trained, "TinyGPT")
    x = torch.randint(0, 8, (256, 6), generator=gen)
    answers = trusted_helpers.decode_reversal(trained, x)
    accuracy = (answers == x.flip(1)).double().mean().item()
    expect.true(
        accuracy >= 0.9,
        f"after 80 training steps TinyGPT reverses only {100 * accuracy:.0f}% of the digits of "
        "unseen strings (a correct model reaches ~100%; training loss went from "
        f"{losses[0]:.2f} to {losses[-1]:.2f}). Check the causal mask, the position "
        "embeddings and the residual connections.",
    )


@pytest.mark.points(1)
def test_dropout(sub, ref, gen, randomize, load_weights):
    """dropout=p reaches every block and the embeddings in train mode; eval mode is the
    reference's deterministic forward."""
    model = sub.TinyGPT(11, 8, 16, 2, 2, dropout=0.5)
    rates = sub.helpers.dropout_rates(model)
    for layer in range(2):
        expect.true(
            any(name.startswith(f"blocks.{layer}.") and p == 0.5 for name, p in rates.items()),
            f"dropout=0.5 does not reach block {layer}: build the blocks with "
            "TransformerBlock(embed_dim, num_heads, dropout=dropout)",
        )
    idx = tokens(gen, 11, 3, 8)
    model.train()
    sub.helpers.set_dropout(model, "blocks.", 0.0)
    first, second = sub.helpers.call_twice(model, idx)
    expect.true(
        not torch.allclose(expect.tensor(first[0]), expect.tensor(second[0])),
        "with dropout=0.5 in training mode nothing outside the blocks is dropped: apply "
        "self.drop = nn.Dropout(dropout) to tok_emb(idx) + pos_emb(positions)",
    )
    theirs = ref.TinyGPT(11, 8, 16, 2, 2).double().eval()
    params = randomize(theirs, gen)
    load_weights(sub, model, params, "TinyGPT")
    model.eval()
    with torch.no_grad():
        expected = theirs(idx)[0]
    expect.close(
        model(idx)[0], expected,
        "with dropout=0.5 in eval mode the logits differ from the model without dropout: "
        "use nn.Dropout modules, which switch off in eval mode",
    )  # fmt: skip
