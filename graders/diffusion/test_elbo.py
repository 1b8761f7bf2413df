"""Task 6c: the variational bound term by term, down to the simple loss.

`elbo_term` is checked against the Gaussian KL between the Bayes posterior q(x_{t−1} | x_t, x₀)
and p_θ(x_{t−1} | x_t) = N(μ̃_t(x̂₀(x_t, ε_θ), x_t), σ_t²) (and, at t = 0, the decoder's
negative log-likelihood), all computed here with torch.distributions; `elbo_weight` against
λ_t = β_t² / (2σ_t² α_t (1 − ᾱ_t)); and the two together against the identity
L_t = λ_t ‖ε − ε_θ‖² + C_t with the θ-free constants C_t computed here.
"""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_elbo")
T = 10


def _col(coef: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return coef[t].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))


def _sigmas(sv: dict, seed: int) -> dict:
    """Ho et al.'s two choices (β̃ with β̃₁ at t = 0) and a random positive one."""
    small = sv["posterior_variance"].clone()
    small[0] = small[1]
    g = torch.Generator().manual_seed(seed + 7)
    rand = 0.05 + 0.5 * torch.rand(T, generator=g, dtype=torch.float64)
    return {"large": sv["betas"].clone(), "small": small, "random": rand}


def _inputs(sv: dict, seed: int, shape: tuple[int, ...], t: list[int] | None = None):
    """x₀, x_t = q_sample(x₀, t, ε), ε, a prediction ε_θ and t (float64)."""
    g = torch.Generator().manual_seed(seed)
    x0, eps, eps_pred = (torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(3))
    if t is None:
        t = torch.randint(1, T, (shape[0],), generator=g)
        t[0], t[-1] = 1, T - 1
    else:
        t = torch.tensor(t)
    ab = sv["alphas_cumprod"]
    xt = _col(ab.sqrt(), t, x0) * x0 + _col((1 - ab).sqrt(), t, x0) * eps
    return x0, xt, eps, eps_pred, t


def _means(sv: dict, x0, xt, t, eps_pred):
    """μ̃_t(x₀, x_t) and μ_θ = μ̃_t(x̂₀(x_t, ε_θ), x_t), from the Bayes posterior coefficients."""
    ab = sv["alphas_cumprod"]
    c0, ct = sv["posterior_mean_coef1"], sv["posterior_mean_coef2"]
    x0_hat = (xt - _col((1 - ab).sqrt(), t, xt) * eps_pred) / _col(ab.sqrt(), t, xt)
    return _col(c0, t, xt) * x0 + _col(ct, t, xt) * xt, _col(c0, t, xt) * x0_hat + _col(
        ct, t, xt
    ) * xt


def reference_terms(sv: dict, x0, xt, t, eps_pred, sigma2) -> torch.Tensor:
    """Per example: KL(q ‖ p_θ) for t ≥ 1, −log p_θ(x₀ | x_t) at t = 0 (torch.distributions)."""
    mu_q, mu_p = _means(sv, x0, xt, t, eps_pred)
    out = []
    for i in range(x0.shape[0]):
        ti = int(t[i])
        p = Normal(mu_p[i], sigma2[ti].sqrt())
        if ti == 0:
            out.append(-p.log_prob(x0[i]).sum())
        else:
            q = Normal(mu_q[i], sv["posterior_variance"][ti].sqrt())
            out.append(kl_divergence(q, p).sum())
    return torch.stack(out)


def weights(sv: dict, t, sigma2) -> torch.Tensor:
    b, a, ab = sv["betas"][t], sv["alphas"][t], sv["alphas_cumprod"][t]
    return b**2 / (2 * sigma2[t] * a * (1 - ab))


def constants(sv: dict, t, sigma2, dim: int) -> torch.Tensor:
    """C_t = (D/2)(β̃/σ² − 1 + log σ²/β̃) for t ≥ 1, (D/2) log(2πσ₀²) at t = 0."""
    s2 = sigma2[t]
    pv = sv["posterior_variance"][t].clamp_min(1e-300)
    kl = dim / 2 * (pv / s2 - 1 + torch.log(s2 / pv))
    return torch.where(t == 0, dim / 2 * torch.log(2 * math.pi * s2), kl)


def _kl_bugs(sv: dict, x0, xt, t, eps_pred, sigma2) -> dict:
    """What typical slips in the KL for t ≥ 1 would return (closed forms, per element)."""
    mu_q, mu_p = _means(sv, x0, xt, t, eps_pred)
    pv = _col(sv["posterior_variance"], t, xt)
    s2 = _col(sigma2, t, xt)

    def kl(var_q, var_p, mean_q=mu_q, mean_p=mu_p, log_sign=1.0, half=0.5, reduce="sum"):
        e = (mean_q - mean_p) ** 2 / var_p + var_q / var_p - 1 + log_sign * torch.log(var_p / var_q)
        e = (half * e).expand_as(xt).flatten(1)
        return e.sum(1) if reduce == "sum" else e.mean(1)

    mean_only = (0.5 * (mu_q - mu_p) ** 2 / s2).flatten(1).sum(1)
    return {
        "q's variance must be the posterior variance β̃_t, not β_t": kl(
            _col(sv["betas"], t, xt), s2
        ),
        "the KL misses its factor 1/2": kl(pv, s2, half=1.0),
        "the log-ratio has the wrong sign: the KL has + log(σ_t²/β̃_t)": kl(pv, s2, log_sign=-1.0),
        "the KL is averaged over the elements of an example; a KL in D dimensions is their sum": kl(
            pv, s2, reduce="mean"
        ),
        "the KL is reversed: L_t is KL(q ‖ p_θ), not KL(p_θ ‖ q)": kl(s2, pv, mu_p, mu_q),
        "σ² is read at t − 1 instead of t (off by one)": kl(pv, _col(sigma2, t - 1, xt)),
        "only the mean term is there: the variance terms of the Gaussian KL are missing": mean_only,
        "p_θ's variance must be sigma2[t], not the posterior variance β̃_t": kl(pv, pv),
    }


def _weight_bugs(sv: dict, t, sigma2) -> dict:
    b, a, ab = sv["betas"][t], sv["alphas"][t], sv["alphas_cumprod"][t]
    ab_prev, s2 = sv["alphas_cumprod_prev"][t], sigma2[t]
    return {
        "λ_t uses the cumulative ᾱ_t where the one-step α_t belongs": b**2
        / (2 * s2 * ab * (1 - ab)),
        "λ_t misses its factor 1/2": b**2 / (s2 * a * (1 - ab)),
        "β_t must be squared in λ_t": b / (2 * s2 * a * (1 - ab)),
        "λ_t uses 1 − ᾱ_(t−1) where 1 − ᾱ_t belongs (off by one)": b**2
        / (2 * s2 * a * (1 - ab_prev)),
        "σ² is read at t − 1 instead of t (off by one)": b**2 / (2 * sigma2[t - 1] * a * (1 - ab)),
        "λ_t must use the given sigma2[t], not β_t": b / (2 * a * (1 - ab)),
        "λ_t is inverted": (2 * s2 * a * (1 - ab)) / b**2,
    }


@pytest.mark.visible
def test_weight(sub, cf, make_schedule, seed):
    """Is elbo_weight λ_t = β_t²/(2σ_t²α_t(1 − ᾱ_t)) at every t (t = 0 included), for σ² = β and
    for another positive σ²?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    t = torch.arange(T).flip(0)
    for name, sigma2 in _sigmas(sv, seed).items():
        if name == "small":
            continue
        out = expect.tensor(sub.elbo_weight(t, sched, sigma2), "elbo_weight must return a tensor")
        expect.true(
            out.dtype == torch.float64,
            f"elbo_weight must return float64 (got {str(out.dtype).removeprefix('torch.')})",
        )
        expect.close(
            out,
            weights(sv, t, sigma2),
            "elbo_weight is not λ_t = β_t² / (2 σ_t² α_t (1 − ᾱ_t))",
            diagnoses=_weight_bugs(sv, t, sigma2),
        )


@pytest.mark.points(2)
@pytest.mark.visible
def test_kl(sub, cf, make_schedule, seed):
    """For t ≥ 1, is elbo_term the closed-form KL(q(x_{t−1} | x_t, x₀) ‖ p_θ(x_{t−1} | x_t)),
    summed over the elements of each example, for σ² = β and for another positive σ²?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    x0, xt, _, eps_pred, t = _inputs(sv, seed, (8, 5))
    for name, sigma2 in _sigmas(sv, seed).items():
        if name == "small":
            continue
        out = sub.elbo_term(x0, xt, t, eps_pred, sched, sigma2)
        expect.close(
            out,
            reference_terms(sv, x0, xt, t, eps_pred, sigma2),
            "for t ≥ 1, elbo_term is not the KL between q(x_(t−1) | x_t, x0) and p_θ(x_(t−1) | x_t)",
            diagnoses=_kl_bugs(sv, x0, xt, t, eps_pred, sigma2),
        )


def test_decoder_at_t0(sub, cf, make_schedule, seed):
    """At t = 0 (mixed with t ≥ 1 in one batch of float32 images), is elbo_term the decoder's
    −log N(x₀; μ_θ, σ₀²), finite, in x_t's dtype and of shape (B,)?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed))
    x0, xt, _, eps_pred, t = _inputs(sv, seed, (4, 2, 3, 3), t=[0, 3, 0, 9])
    sigma2 = _sigmas(sv, seed)["small"]
    f32 = [v.float() for v in (x0, xt, eps_pred)]
    out = expect.tensor(
        sub.elbo_term(f32[0], f32[1], t, f32[2], sched, sigma2), "elbo_term must return a tensor"
    )
    expect.true(
        tuple(out.shape) == (4,) and out.dtype == torch.float32,
        f"elbo_term must return one value per example in x_t's dtype (got shape "
        f"{tuple(out.shape)}, {str(out.dtype).removeprefix('torch.')} for float32 data of shape "
        f"{tuple(xt.shape)})",
    )
    at0 = t == 0
    expect.true(
        bool(torch.isfinite(out[at0]).all()),
        "elbo_term is not finite at t = 0: there β̃_0 = 0, and the term is the decoder's "
        "negative log-likelihood −log N(x0; μ_θ, σ_0²), not a KL",
    )
    x0, xt, eps_pred = (v.double() for v in f32)
    expected = reference_terms(sv, x0, xt, t, eps_pred, sigma2)
    _, mu_p = _means(sv, x0, xt, t, eps_pred)
    sq = ((x0 - mu_p) ** 2).flatten(1).sum(1) / (2 * sigma2[t])
    dim = x0[0].numel()

    def at_zero(value):
        return torch.where(at0, value, expected)

    expect.close(
        out.double(),
        expected,
        "elbo_term is wrong on (B, C, H, W) data with t = 0 in the batch",
        rtol=1e-4,
        atol=1e-4,
        diagnoses={
            "at t = 0, log(2π σ_0²) misses its 2π": at_zero(sq + dim / 2 * torch.log(sigma2[t])),
            "at t = 0 the constant (D/2) log(2π σ_0²) of the Gaussian log-density is missing": at_zero(
                sq
            ),
            "at t = 0 the sign is wrong: L_0 is −log p_θ(x0 | x_t), the negative log-likelihood": (
                at_zero(-expected)
            ),
            "the term misses its factor 1/2": 2 * expected,
        },
    )


def test_kl_is_weighted_simple_loss(sub, cf, make_schedule, seed):
    """Do the two functions agree with the derivation, L_t = λ_t ‖ε − ε_θ‖² + C_t with the
    θ-free constant C_t of the text (0 for t ≥ 1 when σ_t² = β̃_t), for several ε_θ?"""
    sv, sched = make_schedule(cf.increasing_betas(T, seed + 3))
    x0, xt, eps, eps_pred, t = _inputs(sv, seed + 3, (6, 4), t=[0, 1, 2, 5, 9, 0])
    other = eps + 0.1 * torch.randn(eps.shape, generator=torch.Generator().manual_seed(seed))
    sigmas = _sigmas(sv, seed + 3)
    for name in ("small", "large"):
        sigma2 = sigmas[name]
        weight = expect.tensor(
            sub.elbo_weight(t, sched, sigma2), "elbo_weight must return a tensor"
        )
        expect.shape(weight, (6,), "elbo_weight must return one weight per example")
        for prediction in (eps, eps_pred, other):
            term = expect.tensor(
                sub.elbo_term(x0, xt, t, prediction, sched, sigma2),
                "elbo_term must return a tensor",
            )
            expect.shape(term, (6,), "elbo_term must return one value per example")
            gap = term.double() - weight.double() * ((eps - prediction) ** 2).sum(1)
            expect.close(
                gap,
                constants(sv, t, sigma2, x0.shape[1]),
                "elbo_term − elbo_weight · ‖ε − ε_θ‖² must be the θ-free constant C_t of the text, "
                "the same for every prediction ε_θ (0 for t ≥ 1 when σ_t² = β̃_t)",
                rtol=1e-6,
                atol=1e-7,
            )
