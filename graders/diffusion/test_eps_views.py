"""Task 6b: two derivations from the predicted noise — Algorithm 2's reverse mean, which
must equal the x̂₀ route, and ε as a score (Tweedie), checked against the exact score of a
Gaussian data distribution (autograd of its log-density, in the grader process)."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_eps_views")
T = 10
MEAN = torch.tensor([0.7, -1.2, 2.0], dtype=torch.float64)
STD = torch.tensor([0.3, 1.5, 0.8], dtype=torch.float64)


def _col(coef: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return coef[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def _inputs(seed: int, shape: tuple[int, ...], dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    xt, eps = (torch.randn(shape, generator=g, dtype=dtype) for _ in range(2))
    t = torch.randint(0, T, (shape[0],), generator=g)
    t[0], t[-1] = 0, T - 1
    return xt, eps, t


def _mean_and_bugs(cf, sv, xt, t, eps):
    """The x̂₀ route (Bayes posterior coefficients applied to x̂₀), and typical slips of the
    one-line form (x_t − c_t ε)/√α_t, each computed from the trusted closed forms."""
    ab, a, b = sv["alphas_cumprod"], sv["alphas"], sv["betas"]
    _, c0, ct = cf.bayes_posterior(sv["betas"])
    x0_hat = (xt - _col((1 - ab).sqrt(), t, xt) * eps) / _col(ab.sqrt(), t, xt)
    expected = _col(c0, t, xt) * x0_hat + _col(ct, t, xt) * xt

    def alg2(noise_coef, scale):
        return (xt - _col(noise_coef, t, xt) * eps) / _col(scale, t, xt)

    bugs = {
        "the noise is added instead of subtracted": (xt + _col(b / (1 - ab).sqrt(), t, xt) * eps)
        / _col(a.sqrt(), t, xt),
        "x_t is divided by √ᾱ_t: the one-step α_t belongs there": alg2(
            b / (1 - ab).sqrt(), ab.sqrt()
        ),
        "c_t uses the one-step α_t where the cumulative ᾱ_t belongs": alg2(
            b / (1 - a).sqrt(), a.sqrt()
        ),
        "c_t misses a square root of 1 − ᾱ_t": alg2(b / (1 - ab), a.sqrt()),
        "the division by √α_t is missing": alg2(b / (1 - ab).sqrt(), torch.ones_like(a)),
        "c_t is √(1 − ᾱ_t), the noise coefficient of x̂₀: substitute x̂₀ into μ̃_t and simplify": alg2(
            (1 - ab).sqrt(), a.sqrt()
        ),
    }
    return expected, bugs


@pytest.mark.visible
def test_mean_from_eps_flat(sub, cf, make_schedule, seed):
    """Does p_mean_from_eps equal μ̃_t(x̂₀(x_t, ε), x_t) for every t, on (B, D) data?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    xt, eps, t = _inputs(seed, (8, 3))
    t[1] = 1
    expected, bugs = _mean_and_bugs(cf, sv, xt, t, eps)
    out = sub.p_mean_from_eps(xt, t, eps, sched)
    expect.close(
        out,
        expected,
        "p_mean_from_eps differs from the x̂₀ route μ̃_t(x̂₀(x_t, ε), x_t) on (B, D) data",
        diagnoses=bugs,
    )


def test_mean_from_eps_images(sub, cf, make_schedule, seed):
    """Does p_mean_from_eps broadcast over (B, C, H, W) float32 data and keep its dtype?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    xt, eps, t = _inputs(seed, (3, 2, 4, 5), dtype=torch.float32)
    out = expect.tensor(
        sub.p_mean_from_eps(xt, t, eps, sched), "p_mean_from_eps must return a tensor"
    )
    expect.true(
        out.shape == xt.shape and out.dtype == torch.float32,
        f"p_mean_from_eps must return x_t's shape and dtype (got {tuple(out.shape)}, {out.dtype} "
        f"for float32 data of shape {tuple(xt.shape)})",
    )
    expected, bugs = _mean_and_bugs(cf, sv, xt.double(), t, eps.double())
    expect.close(
        out.double(),
        expected,
        "p_mean_from_eps is wrong on (B, C, H, W) data",
        rtol=1e-4,
        atol=1e-5,
        diagnoses=bugs,
    )


def test_mean_is_derived(sub, cf, make_schedule, source, seed):
    """Is p_mean_from_eps right *and* the derived one-line formula, not the x̂₀ route again?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed + 1))
    xt, eps, t = _inputs(seed + 1, (5, 2))
    expected, _ = _mean_and_bugs(cf, sv, xt, t, eps)
    expect.close(
        sub.p_mean_from_eps(xt, t, eps, sched),
        expected,
        "this point is for a correct derivation: p_mean_from_eps is wrong",
    )
    route = {"predict_x0_from_eps", "q_posterior_mean_variance", "p_sample_step"}
    coefs = {"posterior_mean_coef1", "posterior_mean_coef2"}
    used = source.uses_any("p_mean_from_eps", route | coefs)
    expect.true(
        not used,
        "p_mean_from_eps must be the formula you derived, in β_t, α_t and ᾱ_t; it uses "
        f"{', '.join(sorted(used))} (the x̂₀ route it must equal)",
    )


def _gaussian_score(cf, sv, xt, t):
    """ε* = E[ε | x_t] and the exact score ∇ log q_t(x_t) for data N(MEAN, diag STD²), the
    latter by autograd of the Gaussian log-density of x_t."""
    ab = sv["alphas_cumprod"]
    a = ab[t][:, None]
    x = xt.detach().clone().requires_grad_(True)
    law = torch.distributions.Normal(a.sqrt() * MEAN, (a * STD**2 + 1 - a).sqrt())
    (score,) = torch.autograd.grad(law.log_prob(x).sum(), x)
    return cf.gaussian_eps(xt, t, MEAN, STD, ab), score


@pytest.mark.points(2)
@pytest.mark.visible
def test_score_gaussian(sub, cf, make_schedule, seed):
    """With the exact ε* of Gaussian data, is score_from_eps the exact score of q_t (autograd)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(T)
    xt = 2 * torch.randn(T, 3, generator=g, dtype=torch.float64)
    eps, score = _gaussian_score(cf, sv, xt, t)
    ab, a = sv["alphas_cumprod"], sv["alphas"]
    expect.close(
        sub.score_from_eps(eps, t, sched),
        score,
        "score_from_eps(ε*) is not the score ∇ log q_t(x_t) of Gaussian data",
        diagnoses={
            "the score points the wrong way (away from the data): check its sign": eps
            / _col((1 - ab).sqrt(), t, eps),
            "the square root of 1 − ᾱ_t is missing": -eps / _col(1 - ab, t, eps),
            "the one-step α_t is used where the cumulative ᾱ_t belongs": -eps
            / _col((1 - a).sqrt(), t, eps),
            "ε is multiplied by √(1 − ᾱ_t) instead of divided": -eps
            * _col((1 - ab).sqrt(), t, eps),
        },
    )


def test_score_images(sub, cf, make_schedule, seed):
    """Does score_from_eps broadcast over (B, C, H, W) float32 noise and keep its dtype?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    _, eps, t = _inputs(seed, (3, 2, 4, 5), dtype=torch.float32)
    out = expect.tensor(sub.score_from_eps(eps, t, sched), "score_from_eps must return a tensor")
    expect.true(
        out.shape == eps.shape and out.dtype == torch.float32,
        f"score_from_eps must return ε's shape and dtype (got {tuple(out.shape)}, {out.dtype} "
        f"for float32 noise of shape {tuple(eps.shape)})",
    )
    ab = sv["alphas_cumprod"]
    expect.close(
        out.double(),
        -eps.double() / _col((1 - ab).sqrt(), t, eps.double()),
        "score_from_eps is wrong on (B, C, H, W) data",
        rtol=1e-5,
        atol=1e-5,
    )
