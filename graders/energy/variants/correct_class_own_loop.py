"""Correct: sample_class with its own Langevin loop, the class energy through a one-hot
mask and labels built with torch.full / .to."""

KIND = "correct"
CELLS = {
    "sample_class_impl": """
def sample_class(model, y, x0, n_steps, step_size, noise_std=None, generator=None):
    n = x0.shape[0]
    if isinstance(y, int):
        labels = torch.full((n,), y, dtype=torch.long, device=x0.device)
    else:
        labels = y.to(device=x0.device, dtype=torch.long)
    sigma = step_size**0.5 if noise_std is None else noise_std
    x = x0.detach().clone()
    for _ in range(n_steps):
        with torch.enable_grad():
            z = x.clone().requires_grad_(True)
            logits = model(z)
            mask = F.one_hot(labels, logits.shape[1]).to(logits.dtype)
            energy = -(logits * mask).sum(dim=1)
            grad = torch.autograd.grad(energy, z, grad_outputs=torch.ones_like(energy))[0]
        xi = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
        x = (x - step_size / 2 * grad + sigma * xi).detach()
    return x
"""
}
