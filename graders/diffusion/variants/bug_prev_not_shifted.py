"""alphas_cumprod_prev is not shifted (ᾱ_t instead of ᾱ_{t−1})."""

KIND = "bug"
REPLACE = [
    (
        "diffusion_schedule_impl",
        "torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])",
        "self.alphas_cumprod.clone()",
    )
]
EXPECT_FAIL = {
    "test_diffusion_schedule.py::test_alphas_cumprod_prev": "not shifted",
    "test_diffusion_schedule.py::test_posterior_variance": "posterior_variance",
}
