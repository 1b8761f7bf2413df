"""Correct: elbo_term with torch.distributions (Normal, kl_divergence, log_prob) on the
x̂₀ route, t = 0 and t ≥ 1 handled by boolean masks; λ_t written out in float64."""

KIND = "correct"
CELLS = {
    "elbo_impl": """
def elbo_weight(t, sched, sigma2):
    i = t.cpu()
    b = sched.betas[i]
    return (b * b / (2.0 * sigma2[i] * sched.alphas[i] * (1.0 - sched.alphas_cumprod[i]))).to(t.device)


def elbo_term(x0, xt, t, eps_pred, sched, sigma2):
    from torch.distributions import Normal, kl_divergence

    x0_hat = predict_x0_from_eps(xt, t, eps_pred, sched)
    mean_p, _ = q_posterior_mean_variance(x0_hat, xt, t, sched)
    mean_q, var_q = q_posterior_mean_variance(x0, xt, t, sched)
    scale_p = extract(sigma2, t, xt).sqrt().expand_as(xt)
    out = torch.empty(xt.shape[0], dtype=xt.dtype, device=xt.device)
    first = t == 0
    if first.any():
        decoder = Normal(mean_p[first], scale_p[first])
        out[first] = -decoder.log_prob(x0[first]).flatten(1).sum(1)
    rest = ~first
    if rest.any():
        q = Normal(mean_q[rest], var_q.expand_as(xt)[rest].sqrt())
        p = Normal(mean_p[rest], scale_p[rest])
        out[rest] = kl_divergence(q, p).flatten(1).sum(1)
    return out
""",
}
