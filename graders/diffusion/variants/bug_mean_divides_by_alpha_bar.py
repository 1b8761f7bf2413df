"""p_mean_from_eps divides by √ᾱ_t instead of √α_t (the x̂₀ scale, not the one-step one)."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        "scale = sched.alphas.sqrt()[t.cpu()]",
        "scale = sched.alphas_cumprod.sqrt()[t.cpu()]",
    )
]
EXPECT_FAIL = {
    "test_eps_views.py::test_mean_from_eps_flat": "divided by √ᾱ_t",
    "test_eps_views.py::test_mean_from_eps_images": "divided by √ᾱ_t",
    "test_eps_views.py::test_mean_is_derived": "is wrong",
}
