"""Task 4: x̂₀ from ε, and the Gaussian posterior q(x_{t−1} | x_t, x₀)."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_posterior")
T = 10


def _inputs(seed: int, shape: tuple[int, ...]):
    g = torch.Generator().manual_seed(seed)
    a, b = (torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(2))
    t = torch.randint(0, T, (shape[0],), generator=g)
    t[0], t[-1] = 0, T - 1
    return a, b, t


def _col(coef: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return coef[t].reshape(-1, *([1] * (x.dim() - 1)))


def _x0_and_bugs(sv, xt, t, eps):
    ab, ab_prev, a = sv["alphas_cumprod"], sv["alphas_cumprod_prev"], sv["alphas"]

    def inv(signal2, noise_scale, sign=-1.0):
        return (xt + sign * _col(noise_scale, t, xt) * eps) / _col(signal2, t, xt)

    expected = inv(ab.sqrt(), (1 - ab).sqrt())
    bugs = {
        "predict_x0_from_eps uses ᾱ_{t−1} instead of ᾱ_t (off by one)": inv(
            ab_prev.sqrt(), (1 - ab_prev).sqrt()
        ),
        "predict_x0_from_eps uses the one-step α_t instead of the cumulative ᾱ_t": inv(
            a.sqrt(), (1 - a).sqrt()
        ),
        "predict_x0_from_eps misses the square roots of ᾱ_t and 1 − ᾱ_t": inv(ab, 1 - ab),
        "predict_x0_from_eps must subtract the noise, not add it": inv(
            ab.sqrt(), (1 - ab).sqrt(), sign=1.0
        ),
        "predict_x0_from_eps multiplies by √ᾱ_t instead of dividing": (
            xt - _col((1 - ab).sqrt(), t, xt) * eps
        )
        * _col(ab.sqrt(), t, xt),
    }
    return expected, bugs


@pytest.mark.visible
def test_predict_x0_flat(sub, cf, make_schedule, seed):
    """Does predict_x0_from_eps invert x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε on (B, D) data?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    xt, eps, t = _inputs(seed, (6, 3))
    expected, bugs = _x0_and_bugs(sv, xt, t, eps)
    out = sub.predict_x0_from_eps(xt, t, eps, sched)
    expect.close(out, expected, "predict_x0_from_eps is wrong on (B, D) data", diagnoses=bugs)


def test_predict_x0_images(sub, cf, make_schedule, seed):
    """Does predict_x0_from_eps broadcast over (B, C, H, W) data?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    xt, eps, t = _inputs(seed, (3, 2, 4, 5))
    expected, bugs = _x0_and_bugs(sv, xt, t, eps)
    out = sub.predict_x0_from_eps(xt, t, eps, sched)
    expect.close(out, expected, "predict_x0_from_eps is wrong on (B, C, H, W) data", diagnoses=bugs)


def test_round_trip(sub, cf, make_schedule, seed):
    """Does predict_x0_from_eps(q_sample(x₀, t, ε), t, ε) give back x₀ on image data?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    x0, eps, t = _inputs(seed, (3, 2, 4, 5))
    xt = sub.q_sample(x0, t, eps, sched)
    expect.true(
        not expect.is_close(xt, x0, rtol=1e-3, atol=1e-3),
        "q_sample returns x₀ (almost) unchanged: x_t must mix in the noise ε",
    )
    back = sub.predict_x0_from_eps(xt, t, eps, sched)
    expect.close(
        back,
        x0,
        "predict_x0_from_eps does not undo q_sample (with the same t and ε)",
        rtol=1e-5,
        atol=1e-5,
    )
    expected, bugs = _x0_and_bugs(sv, expect.tensor(xt).double(), t, eps)
    expect.true(
        any(expect.is_close(back, c) for c in (expected, *bugs.values())),
        "this point is for a working pair: predict_x0_from_eps is not (x_t − √(1 − ᾱ_t) ε) / "
        "√ᾱ_t (nor a typical mistake in it), so undoing q_sample shows nothing",
    )


def _posterior(sub, sched, x0, xt, t):
    out = sub.q_posterior_mean_variance(x0, xt, t, sched)
    expect.true(
        isinstance(out, (tuple, list)) and len(out) == 2,
        "q_posterior_mean_variance must return a pair (mean, variance)",
    )
    return out


@pytest.mark.points(2)
def test_posterior_mean(sub, cf, make_schedule, seed):
    """Is the posterior mean the Bayes-rule combination of x₀ and x_t (flat and image data)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    var, c0, ct = cf.bayes_posterior(sv["betas"])
    for shape in ((6, 3), (3, 2, 4, 5)):
        x0, xt, t = _inputs(seed, shape)
        mean, _ = _posterior(sub, sched, x0, xt, t)
        expect.close(
            mean,
            _col(c0, t, x0) * x0 + _col(ct, t, x0) * xt,
            f"the posterior mean is wrong for data of shape {shape}",
            diagnoses={
                "posterior_mean_coef1 must multiply x₀ and posterior_mean_coef2 x_t (they are "
                "swapped)": _col(ct, t, x0) * x0 + _col(c0, t, x0) * xt,
            },
        )


def test_posterior_variance(sub, cf, make_schedule, seed):
    """Is the returned variance β̃_t, broadcastable against x (flat and image data)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    var, _, _ = cf.bayes_posterior(sv["betas"])
    for shape in ((6, 3), (3, 2, 4, 5)):
        x0, xt, t = _inputs(seed, shape)
        _, v = _posterior(sub, sched, x0, xt, t)
        v = expect.tensor(v, "the posterior variance must be a tensor")
        try:
            full = torch.broadcast_to(v, shape)
        except RuntimeError:
            expect.fail(
                f"the posterior variance has shape {tuple(v.shape)}, which does not broadcast "
                f"against x of shape {shape}: return shape (B, 1, …, 1) or x's shape"
            )
        expected = torch.broadcast_to(_col(var, t, x0), shape)

        def like(coef, t=t, x0=x0, shape=shape):
            return torch.broadcast_to(_col(coef, t, x0), shape)

        expect.close(
            full,
            expected,
            f"the posterior variance is wrong for data of shape {shape}",
            diagnoses={
                "the variance returned is β_t, not the posterior variance β̃_t": like(sv["betas"]),
                "a standard deviation is returned instead of the variance": like(var.sqrt()),
            },
        )
