"""posterior_variance = β_t instead of β̃_t."""

KIND = "bug"
REPLACE = [
    (
        "diffusion_schedule_impl",
        "self.posterior_variance = self.betas * (1 - self.alphas_cumprod_prev) / (1 - self.alphas_cumprod)",
        "self.posterior_variance = self.betas.clone()",
    )
]
EXPECT_FAIL = {"test_diffusion_schedule.py::test_posterior_variance": "posterior_variance is β_t"}
