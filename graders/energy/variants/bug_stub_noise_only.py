"""Bug: stubs that only look right. sgld_step and sgld_sample add a little noise drawn
from the generator and ignore the energy: detached, dtype-preserving, reproducible, but
no Langevin dynamics."""

KIND = "bug"
CELLS = {
    "sgld_step_impl": """
def sgld_step(x, energy_fn, step_size, noise_std=None, generator=None):
    return (x + 1e-3 * torch.randn(x.shape, generator=generator, dtype=x.dtype)).detach()
""",
    "sgld_sample_impl": """
def sgld_sample(energy_fn, x0, n_steps, step_size, noise_std=None, generator=None):
    return (x0 + 1e-3 * torch.randn(x0.shape, generator=generator, dtype=x0.dtype)).detach()
""",
}
EXPECT_FAIL = {
    name: "downhill"
    for name in (
        "test_sgld_step.py::test_step_uses_generator",
        "test_sgld_step.py::test_step_returns_detached",
        "test_sgld_step.py::test_step_leaves_parameter_grads",
        "test_sgld_step.py::test_step_keeps_input_and_dtype",
        "test_sgld_sample.py::test_sample_uses_generator",
        "test_sgld_sample.py::test_sample_detached_and_keeps_x0",
    )
}
