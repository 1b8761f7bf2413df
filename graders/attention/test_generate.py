"""Task 7: generate(model, idx, max_new_tokens, temperature=1.0, top_k=None, generator=None)."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_generate")
V, BLOCK = 7, 5
INTEGER_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def token_ids(value) -> torch.Tensor:
    """generate's result as int64 ids, checked to lie in [0, V) before the trusted side
    counts or indexes with them."""
    ids = expect.tensor(value, "generate must return a tensor of token ids")
    expect.true(
        ids.dtype in INTEGER_DTYPES,
        f"generate must return integer token ids, got {str(ids.dtype).removeprefix('torch.')}",
    )
    expect.true(
        ids.numel() == 0 or (int(ids.min()) >= 0 and int(ids.max()) < V),
        "generate returned token ids outside the vocabulary: every id must be in "
        f"0, …, vocab_size − 1 (here vocab_size = {V})",
    )
    return ids.long()


def twin(trusted_helpers, seed, scale=2.0):
    """The grader's copy of the oracle made by sub.helpers.make_oracle(seed % 1000, V, BLOCK, scale)."""
    return trusted_helpers.make_oracle(seed % 1000, V, BLOCK, scale)


def last_logits(model, idx):
    with torch.no_grad():
        return model(idx[:, -model.block_size :])[0][:, -1]


def greedy(model, idx, steps, crop="last"):
    """Greedy decoding by a trusted loop (crop: last, first or none)."""
    for _ in range(steps):
        context = {
            "last": idx[:, -model.block_size :],
            "first": idx[:, : model.block_size],
            "none": idx,
        }[crop]
        with torch.no_grad():
            nxt = model(context)[0][:, -1].argmax(-1, keepdim=True)
        idx = torch.cat([idx, nxt], dim=1)
    return idx


def empirical(tokens, vocab):
    return torch.bincount(tokens, minlength=vocab).double() / tokens.numel()


def total_variation(p, q):
    return 0.5 * (p - q).abs().sum().item()


@pytest.mark.points(2)
@pytest.mark.visible
def test_greedy(sub, trusted_helpers, seed, gen):
    """temperature=0 is greedy decoding: the output starts with the prompt and has T + n tokens."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK)
    prompt = torch.randint(0, V, (3, 2), generator=gen)
    out = token_ids(sub.generate(model, prompt, 3, temperature=0))
    expect.shape(out, (3, 5), "generate must return (B, T + max_new_tokens) token ids")
    expect.true(torch.equal(out[:, :2], prompt), "the output must start with the prompt")
    expected = greedy(twin(trusted_helpers, seed), prompt, 3)
    expect.true(
        torch.equal(out, expected),
        "temperature=0 must pick the most likely token (argmax of the last position's logits) "
        "at every step",
    )
    same = token_ids(sub.generate(model, prompt, 0, temperature=0))
    expect.true(torch.equal(same, prompt), "max_new_tokens=0 must return the prompt unchanged")


@pytest.mark.points(1)
def test_top_k_one_is_greedy(sub, trusted_helpers, seed, gen):
    """top_k=1 at temperature 1 gives the greedy tokens."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK)
    prompt = torch.randint(0, V, (4, 3), generator=gen)
    out = sub.generate(model, prompt, 4, temperature=1.0, top_k=1, generator=sub.new_generator(3))
    expect.true(
        torch.equal(token_ids(out), greedy(twin(trusted_helpers, seed), prompt, 4)),
        "top_k=1 must always sample the most likely token",
    )


@pytest.mark.points(1)
def test_context_cropping(sub, trusted_helpers, seed, gen):
    """The model only ever sees the last block_size tokens."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK)
    prompt = torch.randint(0, V, (2, BLOCK + 3), generator=gen)
    out = token_ids(sub.generate(model, prompt, 4, temperature=0))
    lengths = sub.get(model.lengths)
    expect.true(
        isinstance(lengths, list) and all(type(n) is int for n in lengths),
        "the model's record of the context lengths it was called with was altered",
    )
    expect.true(
        len(lengths) > 0 and max(lengths) <= BLOCK,
        "generate does not crop the context: feed the model only the last block_size tokens "
        "(idx[:, -model.block_size:])",
    )
    trusted = twin(trusted_helpers, seed)
    expect.true(
        not torch.equal(out, greedy(trusted, prompt, 4, crop="first"))
        or torch.equal(out, greedy(trusted, prompt, 4)),
        "the context is cropped to the first block_size tokens; keep the last ones",
    )
    expect.true(
        torch.equal(out, greedy(trusted, prompt, 4)),
        "with a prompt longer than block_size the generated tokens are wrong",
    )


@pytest.mark.points(1)
def test_generator_reproducible(sub, trusted_helpers, seed, gen):
    """The same generator seed gives the same samples, drawn from the model; different
    seeds give different ones."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK, 0.5, sparse=True)
    banned = trusted_helpers.make_oracle(seed % 1000, V, BLOCK, 0.5, sparse=True).banned
    prompt = torch.randint(0, V, (4, 2), generator=gen)
    first = token_ids(sub.generate(model, prompt, 12, generator=sub.new_generator(11)))
    again = token_ids(sub.generate(model, prompt, 12, generator=sub.new_generator(11)))
    other = token_ids(sub.generate(model, prompt, 12, generator=sub.new_generator(12)))
    expect.true(
        torch.equal(first, again),
        "the same generator seed gave different samples: draw all randomness from `generator` "
        "(torch.multinomial(probs, 1, generator=generator))",
    )
    expect.shape(first, (4, 14), "generate returned the wrong shape")
    expect.true(
        not banned[first[:, 1:-1], first[:, 2:]].any(),
        "generate produced tokens to which the model gives probability zero: sample the next "
        "token from softmax(logits of the last position / temperature)",
    )
    expect.true(
        not torch.equal(first, other),
        "different generator seeds gave identical samples: sampling must be random",
    )


def sample_once(sub, model, prompt, n, **kwargs):
    out = token_ids(sub.generate(model, prompt.expand(n, -1), 1, **kwargs))
    expect.shape(out, (n, prompt.size(1) + 1), "generate returned the wrong shape")
    return out[:, -1]


@pytest.mark.points(1)
def test_temperature(sub, trusted_helpers, seed, gen):
    """Sampled frequencies follow softmax(logits / temperature) for temperatures 0.5 and 2."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK, 1.0)
    prompt = torch.randint(0, V, (1, 3), generator=gen)
    logits = last_logits(twin(trusted_helpers, seed, 1.0), prompt)[0]
    for i, temperature in enumerate((0.5, 2.0)):
        tokens = sample_once(
            sub, model, prompt, 4000, temperature=temperature, generator=sub.new_generator(i)
        )
        freq = empirical(tokens, V)
        plain = total_variation(freq, torch.softmax(logits, -1))
        scaled = total_variation(freq, torch.softmax(logits / temperature, -1))
        expect.true(
            scaled < 0.05 or plain >= 0.05,
            "the temperature is ignored: divide the logits by the temperature before the softmax",
        )
        expect.true(
            scaled < 0.05,
            f"with temperature={temperature} the sampled tokens do not follow "
            "softmax(logits / temperature) of the last position",
        )


@pytest.mark.points(1)
def test_top_k(sub, trusted_helpers, seed, gen):
    """top_k=3 samples only the 3 most likely tokens, in proportion to their probabilities."""
    model = sub.helpers.make_oracle(seed % 1000, V, BLOCK, 0.7)
    prompt = torch.randint(0, V, (1, 2), generator=gen)
    logits = last_logits(twin(trusted_helpers, seed, 0.7), prompt)[0]
    tokens = sample_once(sub, model, prompt, 4000, top_k=3, generator=sub.new_generator(5))
    freq = empirical(tokens, V)
    top = torch.topk(logits, 3).indices
    outside = torch.ones(V, dtype=torch.bool)
    outside[top] = False
    expect.true(
        freq[outside].sum() == 0,
        f"top_k=3 sampled tokens outside the 3 most likely ones ({int((freq[outside] > 0).sum())} "
        "other tokens appeared): keep the k largest logits and set the rest to -inf",
    )
    kept = torch.full_like(logits, float("-inf"))
    kept[top] = logits[top]
    expect.true(
        total_variation(freq, torch.softmax(kept, -1)) < 0.05,
        "with top_k=3 the sampled tokens do not follow the renormalised probabilities "
        "of the 3 most likely tokens",
    )
    small_batch_keeps_k(sub, trusted_helpers, seed, gen)


def small_batch_keeps_k(sub, trusted_helpers, seed, gen, k=V - 1, steps=150):
    """With fewer rows than k, top_k still keeps k tokens per row: replayed by the trusted
    model, every sampled token is among the k most likely, and the ones ranked 3rd to kth
    appear about as often as their renormalised probability says."""
    model = sub.helpers.make_oracle(seed % 1000 + 1, V, BLOCK, 0.5)
    prompt = torch.randint(0, V, (2, 2), generator=gen)
    out = token_ids(sub.generate(model, prompt, steps, top_k=k, generator=sub.new_generator(6)))
    expect.shape(out, (2, 2 + steps), "generate must return (B, T + max_new_tokens) token ids")
    oracle = trusted_helpers.make_oracle(seed % 1000 + 1, V, BLOCK, 0.5)
    ranks, tail_mass = [], 0.0
    for t in range(2, 2 + steps):
        logits = last_logits(oracle, out[:, :t])
        order = logits.argsort(-1, descending=True)
        ranks.append((order == out[:, t : t + 1]).float().argmax(-1))
        probs = torch.softmax(logits.gather(-1, order[:, :k]), -1)
        tail_mass += probs[:, 2:].sum().item()
    ranks = torch.cat(ranks)
    expect.true(
        bool((ranks < k).all()),
        f"top_k={k} sampled a token outside the {k} most likely ones",
    )
    expect.true(
        (ranks >= 2).sum().item() > 0.5 * tail_mass,
        f"with top_k={k} and a batch of 2 rows, tokens ranked 3rd to {k}th were almost never "
        "sampled: keep the k largest logits of each row (k is top_k, at most the vocabulary "
        "size, not the batch size)",
    )
