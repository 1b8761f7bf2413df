"""p_mean_from_eps: c_t = √(1 − ᾱ_t), the noise coefficient of x̂₀, instead of β_t/√(1 − ᾱ_t)."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        "coef = (sched.betas / (1 - sched.alphas_cumprod).sqrt())",
        "coef = ((1 - sched.alphas_cumprod).sqrt())",
    )
]
EXPECT_FAIL = {
    "test_eps_views.py::test_mean_from_eps_flat": "noise coefficient of x̂₀",
    "test_eps_views.py::test_mean_is_derived": "is wrong",
}
