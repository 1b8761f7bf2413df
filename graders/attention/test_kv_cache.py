"""Task 8: forward_with_cache(model, idx, cache=None), incremental decoding with a KV cache.

The submission runs on the sandbox's TwinGPT (the notebook's layout, built by the grader)
so that mistakes in Tasks 4–6 are not charged twice; the expected logits come from the
reference TinyGPT carrying the same random weights, recomputing the whole sequence."""

import math

import pytest
import torch

from dlgrade.grading import StudentError, expect

pytestmark = pytest.mark.task("test_kv_cache")
V, BLOCK, E, H = 13, 8, 12, 3
DH = E // H
UNMASKED = (
    "the tokens of a chunk see each other's future: new query i may only attend to keys "
    "0 … T_past + i (a (T_new, T_past + T_new) causal mask)"
)


def models(sub, ref, gen, randomize, layers=2):
    """(handle to the sandbox twin, trusted reference TinyGPT) with the same float64 weights."""
    theirs = ref.TinyGPT(V, BLOCK, E, H, layers).double().eval()
    params = randomize(theirs, gen)
    return sub.helpers.make_twin_gpt(params, V, BLOCK, E, H, layers), theirs


@torch.no_grad()
def replica(model, idx, cache=None, offset=True, mask_past=True):
    """A trusted cached forward on the reference model; the switches give typical mistakes."""
    B, T = idx.shape
    past = 0 if cache is None else cache[0][0].size(2)
    start = past if offset else 0
    x = model.tok_emb(idx) + model.pos_emb(torch.arange(start, start + T))
    if mask_past:
        mask = torch.arange(past + T) <= torch.arange(past, past + T).unsqueeze(1)
    else:
        mask = torch.ones(T, past + T, dtype=torch.bool)
    new = []
    for layer, block in enumerate(model.blocks):
        a = block.attn
        h = block.ln1(x)
        q, k, v = (p(h).view(B, T, H, DH).transpose(1, 2) for p in (a.q_proj, a.k_proj, a.v_proj))
        if cache is not None:
            k = torch.cat([cache[layer][0], k], dim=2)
            v = torch.cat([cache[layer][1], v], dim=2)
        new.append((k, v))
        scores = (q @ k.transpose(-2, -1) / math.sqrt(DH)).masked_fill(~mask, float("-inf"))
        out = torch.softmax(scores, dim=-1) @ v
        x = x + a.out_proj(out.transpose(1, 2).reshape(B, T, E))
        x = x + block.mlp(block.ln2(x))
    return model.head(model.ln_f(x)), new


def call(sub, model, idx, cache):
    """One call of the submission; returns (logits, cache) after checking their format."""
    try:
        result = sub.forward_with_cache(model, idx, cache)
    except StudentError:
        if cache is None:
            raise
        expect.fail(
            "forward_with_cache raised an error when given the cache it returned before: "
            "keep every layer's keys and values as (B, H, T, head_dim) tensors and append the "
            "new ones along the time axis (torch.cat([...], dim=2))"
        )
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "forward_with_cache must return a tuple (logits, new_cache)",
    )
    logits, new_cache = result
    logits = expect.tensor(logits, "the logits must be a tensor")
    expect.shape(logits, (idx.size(0), idx.size(1), V), "logits must have shape (B, T_new, V)")
    expect.true(
        isinstance(new_cache, (tuple, list)), "the cache must be a list with one (k, v) per block"
    )
    return logits, new_cache


def check_cache(cache, expected, what):
    """The returned cache has the reference's shapes and contents."""
    expect.true(
        isinstance(cache, (tuple, list)) and len(cache) == len(expected),
        f"{what}: the cache must be a list with one (k, v) pair per block ({len(expected)} here)",
    )
    for layer, (pair, (k, v)) in enumerate(zip(cache, expected)):
        expect.true(
            isinstance(pair, (tuple, list)) and len(pair) == 2,
            f"{what}: every entry of the cache must be a pair (k, v)",
        )
        got_k = expect.tensor(pair[0], "cached keys must be tensors")
        got_v = expect.tensor(pair[1], "cached values must be tensors")
        if got_k.dim() == 4 and got_k.shape[:2] == k.shape[:2] and got_k.shape[3] == k.shape[3]:
            expect.true(
                got_k.size(2) == k.size(2),
                f"{what}: the cache holds {got_k.size(2)} positions instead of {k.size(2)}: "
                "append the new keys and values to the cached ones (T_past + T_new positions)",
            )
        expect.shape(
            got_k, tuple(k.shape), f"{what}: cached keys must have shape (B, H, T, head_dim)"
        )
        expect.shape(
            got_v, tuple(v.shape), f"{what}: cached values must have shape (B, H, T, head_dim)"
        )
        expect.close(
            got_k,
            k,
            f"{what}: the cached keys of block {layer} are not k_proj(ln1(x)) split into heads",
        )
        expect.close(
            got_v,
            v,
            f"{what}: the cached values of block {layer} are not v_proj(ln1(x)) split into heads",
        )


@pytest.mark.points(1)
@pytest.mark.visible
def test_prefill(sub, ref, gen, randomize):
    """With cache=None the logits equal the model's and the cache holds every block's keys and values."""
    model, theirs = models(sub, ref, gen, randomize)
    idx = torch.randint(0, V, (2, 5), generator=gen)
    logits, cache = call(sub, model, idx, None)
    with torch.no_grad():
        expected = theirs(idx)[0]
    expect.close(
        logits, expected, "with cache=None the logits differ from the model's forward",
        diagnoses={UNMASKED: replica(theirs, idx, mask_past=False)[0]},
    )  # fmt: skip
    check_cache(cache, replica(theirs, idx)[1], "after the prompt")


@pytest.mark.points(2)
def test_one_token_at_a_time(sub, ref, gen, randomize):
    """Prompts of 1, 3 and 6 tokens, then one token per call up to block_size: the logits of
    every step equal full recomputation, and the cache grows by one position per step."""
    model, theirs = models(sub, ref, gen, randomize)
    idx = torch.randint(0, V, (3, BLOCK), generator=gen)
    with torch.no_grad():
        full = theirs(idx)[0]
    for prompt in (1, 3, 6):
        logits, cache = call(sub, model, idx[:, :prompt], None)
        expect.close(
            logits, full[:, :prompt], "with cache=None the logits differ from the model's",
            diagnoses={UNMASKED: replica(theirs, idx[:, :prompt], mask_past=False)[0]},
        )  # fmt: skip
        mine = replica(theirs, idx[:, :prompt])[1]
        for t in range(prompt, BLOCK):
            step = idx[:, t : t + 1]
            logits, cache = call(sub, model, step, cache)
            shifted = replica(theirs, step, mine, offset=False)[0]
            mine = replica(theirs, step, mine)[1]
            expect.close(
                logits, full[:, t : t + 1],
                f"the logits of token {t} (fed alone, after a prompt of {prompt}) differ from full "
                "recomputation",
                diagnoses={
                    "the new token gets position 0 (pos_emb(i)) instead of its position in the "
                    "sequence: offset the positions by the cache length T_past": shifted,
                },
            )  # fmt: skip
            check_cache(cache, mine, f"after {t + 1} tokens")


@pytest.mark.points(1)
def test_chunks(sub, ref, gen, randomize):
    """Several new tokens per call (2, then 3, then 3) on a one-block model: query i of a chunk
    sees the cache and the chunk's tokens up to itself."""
    model, theirs = models(sub, ref, gen, randomize, layers=1)
    idx = torch.randint(0, V, (2, BLOCK), generator=gen)
    with torch.no_grad():
        full = theirs(idx)[0]
    cache, mine = None, None
    for start, stop in ((0, 2), (2, 5), (5, 8)):
        chunk = idx[:, start:stop]
        logits, cache = call(sub, model, chunk, cache)
        unmasked = replica(theirs, chunk, mine, mask_past=False)[0]
        shifted = replica(theirs, chunk, mine, offset=False)[0]
        mine = replica(theirs, chunk, mine)[1]
        expect.close(
            logits, full[:, start:stop],
            f"the logits of the chunk of tokens {start}–{stop - 1} differ from full recomputation",
            diagnoses={
                UNMASKED: unmasked,
                "the chunk's tokens get positions 0, 1, … instead of T_past, T_past + 1, …": shifted,
            },
        )  # fmt: skip
        check_cache(cache, mine, f"after {stop} tokens")
