"""elbo_term computes the KL per element and averages it over the example instead of summing."""

KIND = "bug"
CELLS = {
    "elbo_impl": """
def elbo_weight(t, sched, sigma2):
    idx = t.cpu()
    beta, alpha, ab = sched.betas[idx], sched.alphas[idx], sched.alphas_cumprod[idx]
    return (beta**2 / (2 * sigma2.cpu()[idx] * alpha * (1 - ab))).to(t.device)


def elbo_term(x0, xt, t, eps_pred, sched, sigma2):
    mean_q, var_q = q_posterior_mean_variance(x0, xt, t, sched)
    mean_p = p_mean_from_eps(xt, t, eps_pred, sched)
    var_p = extract(sigma2, t, xt)
    kl = 0.5 * ((mean_q - mean_p) ** 2 / var_p + var_q / var_p - 1 + torch.log(var_p / var_q))
    nll = 0.5 * ((x0 - mean_p) ** 2 / var_p + torch.log(2 * math.pi * var_p))
    first = (t == 0).reshape(-1, *([1] * (xt.dim() - 1)))
    return torch.where(first, nll, kl).flatten(1).mean(1)
""",
}
EXPECT_FAIL = {
    "test_elbo.py::test_kl": "averaged over the elements",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
