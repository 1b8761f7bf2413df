"""β vs α confusion: alphas_cumprod is the running product of the β's."""

KIND = "bug"
REPLACE = [
    (
        "diffusion_schedule_impl",
        "torch.cumprod(self.alphas, dim=0)",
        "torch.cumprod(self.betas, dim=0)",
    )
]
EXPECT_FAIL = {"test_diffusion_schedule.py::test_alphas_and_cumprod": "cumulative product of β"}
