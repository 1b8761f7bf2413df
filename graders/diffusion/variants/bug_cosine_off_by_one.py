"""Cosine schedule off by one: ᾱ_t = f(t)/f(0), so the first β is 0."""

KIND = "bug"
REPLACE = [
    (
        "schedules_impl",
        "    alphas_cumprod = f / f[0]\n    betas = 1 - alphas_cumprod[1:] / alphas_cumprod[:-1]",
        "    alphas_cumprod = (f / f[0])[:-1]\n"
        "    previous = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])\n"
        "    betas = 1 - alphas_cumprod / previous",
    )
]
EXPECT_FAIL = {
    "test_schedules.py::test_cosine_alpha_bar": "off by one",
    "test_schedules.py::test_cosine_clipping_and_monotonicity": "clipped",
}
