"""Task 1: augmentations for 1-D signals (random shift, amplitude scaling, noise, views)."""

from __future__ import annotations

import itertools
from types import ModuleType, SimpleNamespace

import pytest
import torch

from dlgrade.grading import expect
from dlgrade.grading.proxy import Submission

pytestmark = pytest.mark.task("test_augment")

ORDER = "shift,scale,noise"
WRONG_ORDER = (
    "the draws are not made in the order the text gives: random_shift, then random_scale, "
    "then add_noise, all with the same generator"
)


def _shift_diagnoses(trusted: ModuleType, x: torch.Tensor, max_shift: int, seed: int) -> dict:
    return {
        "the rows are shifted to the left: out[i, j] = x[i, (j - shift) mod L] moves the "
        "signal to the right, as torch.roll(row, shift) does": trusted.random_shift(
            x, max_shift, seed, sign=-1
        ),
        "every row gets the same shift: draw one shift per row, torch.randint(..., (N,), "
        "generator=generator)": trusted.random_shift(x, max_shift, seed, one_shift=True),
        "the shifts never reach +max_shift: the upper bound of torch.randint is excluded, "
        "so it is max_shift + 1": trusted.random_shift(x, max_shift, seed, inclusive=False),
    }


def _check_shift(
    sub: Submission, trusted: ModuleType, x: torch.Tensor, max_shift: int, seed: int, message: str
) -> object:
    out = sub.random_shift(x, max_shift, generator=sub.new_generator(seed))
    expect.close(
        out,
        trusted.random_shift(x, max_shift, seed),
        message,
        diagnoses=_shift_diagnoses(trusted, x, max_shift, seed),
    )
    return out


def require_shift(sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int) -> None:
    """This test's properties pay only for a random_shift that follows the text."""
    x = data.randn(seed + 100, 5, 8)
    out = sub.random_shift(x, 3, generator=sub.new_generator(seed + 101))
    expect.true(
        expect.is_close(out, trusted.random_shift(x, 3, seed + 101)),
        "this point is for a working random_shift: with a seeded generator it does not draw "
        "and apply the shifts the text specifies",
    )


@pytest.mark.points(2)
@pytest.mark.visible
def test_shift_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Does random_shift roll each row right by its own shift in [-max_shift, max_shift]?"""
    x = data.randn(seed, 6, 11)
    _check_shift(sub, trusted, x, 3, seed + 1, "random_shift is wrong")
    _check_shift(sub, trusted, data.randn(seed + 2, 9, 7), 5, seed + 3, "random_shift is wrong")


@pytest.mark.points(1)
def test_shift_is_a_circular_permutation(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Does a shift only move each row's values (wrapping around), even past the length?"""
    require_shift(sub, trusted, data, seed)
    x = data.randn(seed, 40, 4)
    out = expect.tensor(sub.random_shift(x, 9, generator=sub.new_generator(seed + 1)))
    expect.shape(out, (40, 4), "random_shift should keep the shape of x")
    expect.true(
        torch.equal(out.double().sort(dim=1).values, x.sort(dim=1).values),
        "a shift must only move the values of each row around (circularly), never change or "
        "drop them",
    )
    expect.close(
        out,
        trusted.random_shift(x, 9, seed + 1),
        "random_shift is wrong when max_shift is larger than the signal length: shifts wrap "
        "around (mod L)",
    )
    same = sub.random_shift(x, 0, generator=sub.new_generator(seed))
    expect.close(same, x, "random_shift with max_shift=0 should leave the signals unchanged")


@pytest.mark.points(1)
def test_scale_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Does random_scale multiply each row by its own factor low + (high - low) * rand?"""
    x = data.randn(seed, 7, 5)
    low, high = 0.5, 2.0
    out = sub.random_scale(x, low, high, generator=sub.new_generator(seed + 1))
    u = trusted.scale_factors(7, 0.0, 1.0, seed + 1, torch.float64)[0]
    data.close_any(
        out,
        trusted.random_scale(x, low, high, seed + 1),
        "random_scale is wrong",
        diagnoses={
            "every row gets the same factor: draw one factor per row, torch.rand(N, ...)": (
                trusted.random_scale(x, low, high, seed + 1, one_factor=True)[0]
            ),
            "the factors ignore low and high: a = low + (high - low) * u": x * u[:, None],
            "the factors are low + high * u; they are low + (high - low) * u": x
            * (low + high * u)[:, None],
        },
    )
    ratio = expect.tensor(out).double() / x
    expect.true(
        bool((ratio.max(1).values - ratio.min(1).values).abs().max() < 1e-9)
        and bool((ratio >= low).all() and (ratio < high).all()),
        "random_scale should multiply every value of a row by the same factor in [low, high)",
    )


@pytest.mark.points(1)
def test_noise_matches_reference(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Does add_noise add std times the generator's standard normal draw?"""
    x = data.randn(seed, 4, 7)
    std = 0.3
    out = sub.add_noise(x, std, generator=sub.new_generator(seed + 1))
    xi = trusted.noise_draws((4, 7), seed + 1, torch.float64)[0]
    data.close_any(
        out,
        trusted.add_noise(x, std, seed + 1),
        "add_noise is wrong",
        diagnoses={
            "the noise is not multiplied by std": x + xi,
            "std is used as a variance: the noise is std * randn, not sqrt(std) * randn": x
            + std**0.5 * xi,
            "the noise replaces the signal: return x + std * noise": std * xi,
        },
    )
    quiet = sub.add_noise(x, 0.0, generator=sub.new_generator(seed))
    expect.close(quiet, x, "add_noise with std=0 should return the signals unchanged")


@pytest.mark.points(1)
def test_noise_statistics(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is the noise centred with standard deviation std (on many samples)?"""
    x = data.randn(seed + 5, 3, 6)
    out = sub.add_noise(x, 0.4, generator=sub.new_generator(seed + 6))
    expect.true(
        any(expect.is_close(out, a) for a in trusted.add_noise(x, 0.4, seed + 6)),
        "this point is for a working add_noise: with a seeded generator it does not add the "
        "noise the text specifies",
    )
    zeros = torch.zeros(400, 50, dtype=torch.float64)
    noise = expect.tensor(sub.add_noise(zeros, 0.7, generator=sub.new_generator(seed))).double()
    expect.true(abs(noise.mean().item()) < 0.02, "the noise should have mean 0")
    expect.true(
        abs(noise.std().item() - 0.7) < 0.02, "the noise should have standard deviation std"
    )


def _orders() -> list[str]:
    return [",".join(p) for p in itertools.permutations(ORDER.split(",")) if ",".join(p) != ORDER]


@pytest.mark.points(1)
def test_augment_composition(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Is augment random_shift, then random_scale, then add_noise, with one generator?"""
    x = data.randn(seed, 5, 9)
    kwargs = {"max_shift": 2, "low": 0.5, "high": 1.5, "noise_std": 0.2}
    out = sub.augment(x, generator=sub.new_generator(seed + 1), **kwargs)
    accepted = [
        trusted.augment(x, seed + 1, **kwargs),
        trusted.augment(x, seed + 1, **kwargs, low_precision=True),
    ]
    wrong = [trusted.augment(x, seed + 1, **kwargs, order=order) for order in _orders()]
    hit = next((w for w in wrong if expect.is_close(out, w)), None)
    data.close_any(out, accepted, "augment is wrong", diagnoses={WRONG_ORDER: hit})
    out = sub.augment(x, generator=sub.new_generator(seed + 2))
    data.close_any(
        out,
        [trusted.augment(x, seed + 2), trusted.augment(x, seed + 2, low_precision=True)],
        "augment with its default arguments (max_shift=4, low=0.8, high=1.2, noise_std=0.05) "
        "is wrong",
    )


def _float32_cases(
    trusted: ModuleType, x: torch.Tensor, seed: int
) -> list[tuple[str, tuple, list]]:
    return [
        ("random_shift", (x, 2), [trusted.random_shift(x, 2, seed)]),
        ("random_scale", (x, 0.5, 1.5), trusted.random_scale(x, 0.5, 1.5, seed)),
        ("add_noise", (x, 0.1), trusted.add_noise(x, 0.1, seed)),
        ("augment", (x,), [trusted.augment(x, seed), trusted.augment(x, seed, low_precision=True)]),
    ]


@pytest.mark.points(1)
def test_inputs_dtype_and_generator(
    sub: Submission, trusted: ModuleType, data: SimpleNamespace, seed: int
) -> None:
    """Do the augmentations keep float32, leave x unchanged and draw only from the given
    generator (or the global state when there is none)?"""
    x64 = data.randn(seed, 6, 8)
    runs = sub.helpers.twice_with_generator(sub.augment, [x64], {}, seed + 2)
    accepted = [trusted.augment(x64, seed + 2), trusted.augment(x64, seed + 2, low_precision=True)]
    expect.true(
        expect.is_close(runs[0], runs[1], rtol=0.0, atol=0.0),
        "augment depends on torch's global random state although a generator is given: "
        "draw everything from the generator",
    )
    data.close_any(runs[0], accepted, "augment is wrong")
    free = sub.helpers.with_global_seed(sub.augment, [x64], {}, seed + 3)
    data.close_any(
        free,
        [trusted.augment(x64, seed + 3), trusted.augment(x64, seed + 3, low_precision=True)],
        "augment with generator=None should draw from torch's global random state (pass "
        "generator=None on to torch.randint, torch.rand and torch.randn)",
    )
    x = x64.float()
    for name, args, accepted in _float32_cases(trusted, x, seed + 1):
        fn = getattr(sub, name)
        res = sub.helpers.inputs_after(fn, list(args), {"generator": sub.new_generator(seed + 1)})
        out = expect.tensor(res["out"], f"{name} should return a tensor")
        expect.true(out.dtype == torch.float32, f"{name} should keep the dtype of x (float32)")
        expect.true(torch.equal(res["args_after"][0], x), f"{name} must not modify x in place")
        data.close_any(out, accepted, f"{name} is wrong for float32 signals", rtol=1e-5, atol=1e-6)
