"""sample_class with its own loop that takes the gradient with .backward(): the model's
parameters collect .grad at every step."""

KIND = "bug"
CELLS = {
    "sample_class_impl": """
def sample_class(model, y, x0, n_steps, step_size, noise_std=None, generator=None):
    labels = torch.as_tensor(y, dtype=torch.long).to(x0.device).expand(x0.shape[0])
    sigma = math.sqrt(step_size) if noise_std is None else noise_std
    x = x0.detach().clone()
    for _ in range(n_steps):
        x.requires_grad_(True)
        class_energy(model(x), labels).sum().backward()
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
        x = (x - 0.5 * step_size * x.grad + sigma * noise).detach()
    return x
"""
}
EXPECT_FAIL = {"test_sample_class.py::test_class_detached_and_side_effects": ".grad of the model"}
