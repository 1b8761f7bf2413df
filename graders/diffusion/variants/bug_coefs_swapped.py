"""posterior_mean_coef1 and posterior_mean_coef2 are swapped."""

KIND = "bug"
REPLACE = [
    ("diffusion_schedule_impl", "self.posterior_mean_coef1 =", "self.posterior_mean_coef_tmp ="),
    ("diffusion_schedule_impl", "self.posterior_mean_coef2 =", "self.posterior_mean_coef1 ="),
    (
        "diffusion_schedule_impl",
        "self.posterior_mean_coef_tmp =",
        "self.posterior_mean_coef2 =",
    ),
]
EXPECT_FAIL = {"test_diffusion_schedule.py::test_posterior_mean_coefficients": "swapped"}
