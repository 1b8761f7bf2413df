"""Task 4: the replay buffer of persistent chains."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_replay_buffer")


def _stored(size, dim=2):
    """Distinct rows far outside [low, high), so fresh noise is never mistaken for them."""
    base = torch.arange(size * dim, dtype=torch.float32).reshape(size, dim)
    return 10.0 + base


def _buffer(sub, seed, size, shape, reinit, low=-1.0, high=1.0):
    buf = sub.ReplayBuffer(size, shape, reinit, low, high, sub.new_generator(seed))
    content = expect.tensor(
        sub.get(buf.buffer), "the buffer should keep its samples in the tensor attribute `buffer`"
    )
    expect.shape(content, (size, *shape), "`buffer` should have shape (size, *shape)")
    return buf


def _sample(buf, n, shape, size):
    res = buf.sample(n)
    expect.true(
        isinstance(res, tuple) and len(res) == 2,
        "sample(n) should return a tuple (x, idx)",
    )
    x = expect.tensor(res[0], "sample(n) should return x as a tensor")
    idx = expect.tensor(res[1], "sample(n) should return idx as a tensor")
    expect.shape(x, (n, *shape), "x from sample(n) should have shape (n, *shape)")
    expect.shape(idx, (n,), "idx from sample(n) should have shape (n,)")
    expect.true(
        idx.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8),
        "idx should be an integer tensor of row indices",
    )
    expect.true(bool(((idx >= 0) & (idx < size)).all()), "idx should hold row indices in [0, size)")
    return x, idx.long()


def require_random_rows(sub, seed) -> None:
    """The tests of what sample leaves alone pay for a working sample only: its indices
    must be drawn uniformly from the rows, afresh at every call (a fixed row, or the rows
    in order, keep the buffer and the generator's results just as well)."""
    size, n = 20, 2000
    buf = _buffer(sub, seed + 3, size, (2,), 0.0)
    _, first = _sample(buf, n, (2,), size)
    _, second = _sample(buf, n, (2,), size)
    counts = torch.bincount(first, minlength=size).double()
    p = 1 / size
    uniform = bool(((counts - n * p).abs() <= 5 * (n * p * (1 - p)) ** 0.5).all())
    expect.true(
        uniform and not torch.equal(first, second),
        "this point is for a working sample(n): its indices should be drawn uniformly from "
        "the rows of the buffer, with the generator (torch.randint(0, size, (n,), generator=...))",
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_buffer_init(sub, seed):
    """Is `buffer` a (size, *shape) tensor drawn uniformly in [low, high)?"""
    buf = _buffer(sub, seed, 400, (2, 3), 0.05, low=-2.0, high=0.5)
    content = sub.get(buf.buffer).double()
    expect.true(
        content.min() >= -2.0 and content.max() < 0.5,
        "the initial buffer should lie in [low, high)",
    )
    expect.true(
        content.min() < -1.9 and content.max() > 0.4 and abs(content.mean() + 0.75) < 0.1,
        "the initial buffer should be uniform on [low, high) (low + (high - low) * torch.rand)",
    )
    expect.close(sub.get(buf.reinit_freq), 0.05, "the attribute reinit_freq should be as given")


@pytest.mark.points(1)
def test_reinit_zero(sub, seed):
    """With reinit_freq=0, is every sample exactly the stored row idx points to?"""
    buf = _buffer(sub, seed, 30, (2,), 0.0)
    stored = _stored(30)
    sub.set(buf.buffer, stored)
    x, idx = _sample(buf, 40, (2,), 30)
    if not expect.is_close(x, stored[idx], rtol=0, atol=0):
        fresh = ((x >= -1.0) & (x < 1.0)).all(1)
        expect.fail(
            "with reinit_freq=0 every sample should be the stored row at idx"
            + (
                f": {int(fresh.sum())} of 40 were re-initialised (is the rate inverted?)"
                if fresh.any()
                else ""
            )
        )
    require_random_rows(sub, seed)


@pytest.mark.points(1)
def test_reinit_one(sub, seed):
    """With reinit_freq=1, is every sample fresh uniform noise in [low, high)?"""
    buf = _buffer(sub, seed, 30, (2,), 1.0, low=-3.0, high=-1.0)
    sub.set(buf.buffer, _stored(30))
    x, _ = _sample(buf, 40, (2,), 30)
    inside = (x >= -3.0) & (x < -1.0)
    expect.true(
        bool(inside.all()),
        "with reinit_freq=1 every sample should be fresh noise in [low, high)"
        + (": none was re-initialised (is the rate inverted?)" if not inside.any() else ""),
    )
    expect.true(
        torch.unique(x, dim=0).shape[0] == 40,
        "the re-initialised samples should be independent draws (got repeated rows)",
    )


@pytest.mark.points(2)
def test_reinit_rate(sub, seed):
    """With reinit_freq=0.3, are about 30 % of 2000 samples re-initialised, whole rows at a time?"""
    n, rate = 2000, 0.3
    buf = _buffer(sub, seed, 500, (2,), rate)
    stored = _stored(500)
    sub.set(buf.buffer, stored)
    x, idx = _sample(buf, n, (2,), 500)
    kept_entries = x == stored[idx]
    expect.true(
        bool((kept_entries.all(1) | ~kept_entries.any(1)).all()),
        "some samples are only partly re-initialised: replace whole samples (rows), "
        "each with probability reinit_freq",
    )
    fresh = ~kept_entries.all(1)
    expect.true(
        bool(((x[fresh] >= -1.0) & (x[fresh] < 1.0)).all()),
        "re-initialised samples should be uniform noise in [low, high)",
    )
    count = int(fresh.sum())
    mean, sd = n * rate, (n * rate * (1 - rate)) ** 0.5
    if abs(count - mean) <= 5 * sd:
        return
    if abs(count - n * (1 - rate)) <= 5 * sd:
        expect.fail(
            f"{count} of {n} samples were re-initialised at reinit_freq={rate}: the rate is "
            "inverted (re-initialise when torch.rand(...) < reinit_freq)"
        )
    expect.fail(
        f"{count} of {n} samples were re-initialised at reinit_freq={rate}, far from the "
        "expected fraction: each sample is re-initialised independently with probability "
        "reinit_freq"
    )


@pytest.mark.points(1)
def test_update_writes_back(sub, seed):
    """Does update(idx, x) write x into exactly the rows idx?"""
    buf = _buffer(sub, seed, 20, (3,), 0.05)
    before = _stored(20, 3)
    sub.set(buf.buffer, before.clone())
    idx = torch.tensor([3, 7, 11, 19])
    new = -torch.arange(12, dtype=torch.float64).reshape(4, 3) - 1.5
    buf.update(idx, new)
    after = expect.tensor(sub.get(buf.buffer), "`buffer` should stay a tensor after update")
    expected = before.clone()
    expected[idx] = new.float()
    expect.close(
        after,
        expected,
        "update(idx, x) should write x into rows idx and leave the others alone",
        rtol=0,
        atol=1e-6,
        diagnoses={"update does not change the buffer: the chains are never persisted": before},
    )


@pytest.mark.points(1)
def test_sample_leaves_buffer(sub, seed):
    """Does sample(n) leave the buffer unchanged (only update writes to it)?"""
    buf = _buffer(sub, seed, 50, (2,), 0.5)
    stored = _stored(50)
    sub.set(buf.buffer, stored.clone())
    _sample(buf, 60, (2,), 50)
    expect.close(
        sub.get(buf.buffer),
        stored,
        "sample(n) changed the buffer: return re-initialised copies, write nothing back",
        rtol=0,
        atol=0,
    )
    require_random_rows(sub, seed)


@pytest.mark.points(1)
def test_buffer_uses_generator(sub, seed):
    """Does all the buffer's randomness come from its generator?"""
    first, second = sub.helpers.buffer_twins(sub.ReplayBuffer, 64, (2,), 0.3, -1.0, 1.0, seed, 32)
    for key, what in (
        ("initial", "the initial content"),
        ("idx", "the sampled indices"),
        ("x", "the samples"),
    ):
        expect.true(
            expect.is_close(first[key], second[key], rtol=0, atol=0),
            f"{what} do not come from the `generator` argument: two buffers with equally "
            "seeded generators differ",
        )
    other = sub.ReplayBuffer(64, (2,), 0.3, -1.0, 1.0, sub.new_generator(seed + 1))
    expect.true(
        not expect.is_close(first["initial"], expect.tensor(sub.get(other.buffer)), rtol=0, atol=0),
        "buffers with differently seeded generators start with the same content: draw the "
        "initial uniform noise from the generator",
    )
    require_random_rows(sub, seed)
