"""Correct: the derivation's results written out term by term, with own indexing and
reshaping (1/√α_t · x_t − β_t/√(α_t(1 − ᾱ_t)) · ε; score −ε · (1 − ᾱ_t)^(−1/2))."""

KIND = "correct"
CELLS = {
    "eps_views_impl": '''
def p_mean_from_eps(xt, t, eps, sched):
    """Algorithm 2's reverse mean, expanded."""
    shape = (-1,) + (1,) * (xt.dim() - 1)
    idx = t.cpu()
    alpha = sched.alphas[idx].reshape(shape).to(device=xt.device, dtype=xt.dtype)
    beta = sched.betas[idx].reshape(shape).to(device=xt.device, dtype=xt.dtype)
    abar = sched.alphas_cumprod[idx].reshape(shape).to(device=xt.device, dtype=xt.dtype)
    return xt / torch.sqrt(alpha) - beta / torch.sqrt(alpha * (1.0 - abar)) * eps


def score_from_eps(eps, t, sched):
    """Tweedie: the score is −E[ε | x_t] / √(1 − ᾱ_t)."""
    abar = sched.alphas_cumprod[t.cpu()].to(device=eps.device, dtype=eps.dtype)
    return -eps * torch.rsqrt(1.0 - abar).reshape(-1, *([1] * (eps.dim() - 1)))
''',
}
