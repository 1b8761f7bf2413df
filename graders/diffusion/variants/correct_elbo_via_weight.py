"""Correct: elbo_term through the derived identity L_t = λ_t ‖ε − ε_θ‖² + C_t, with ε
recovered from x0 and x_t, and λ_t written with posterior_mean_coef1 (coef1² (1 − ᾱ)/ᾱ)."""

KIND = "correct"
CELLS = {
    "elbo_impl": '''
def elbo_weight(t, sched, sigma2):
    """λ_t = coef1_t² (1 − ᾱ_t) / (2 σ_t² ᾱ_t), the same number as β_t² / (2 σ_t² α_t (1 − ᾱ_t))."""
    i = t.cpu()
    ab = sched.alphas_cumprod[i]
    return (sched.posterior_mean_coef1[i] ** 2 * (1 - ab) / (2 * sigma2[i] * ab)).to(t.device)


def elbo_term(x0, xt, t, eps_pred, sched, sigma2):
    """λ_t ‖ε − ε_θ‖² + C_t."""
    i = t.cpu()
    shape = (-1,) + (1,) * (xt.dim() - 1)
    ab = sched.alphas_cumprod[i].reshape(shape).to(device=xt.device, dtype=torch.float64)
    eps = (xt.double() - ab.sqrt() * x0.double()) / (1 - ab).sqrt()
    err = (eps - eps_pred.double()).pow(2).reshape(xt.shape[0], -1).sum(-1)
    s2, pv = sigma2[i], sched.posterior_variance[i]
    d = xt[0].numel()
    const = torch.zeros_like(s2)
    later = i > 0
    const[later] = d / 2 * (pv[later] / s2[later] - 1 + torch.log(s2[later] / pv[later]))
    const[~later] = d / 2 * torch.log(2 * math.pi * s2[~later])
    out = elbo_weight(t, sched, sigma2).to(xt.device) * err + const.to(xt.device)
    return out.to(xt.dtype)
''',
}
