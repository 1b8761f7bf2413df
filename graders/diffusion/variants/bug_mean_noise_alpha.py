"""p_mean_from_eps: c_t = β_t/√(1 − α_t), the one-step α_t where ᾱ_t belongs."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        "coef = (sched.betas / (1 - sched.alphas_cumprod).sqrt())",
        "coef = (sched.betas / (1 - sched.alphas).sqrt())",
    )
]
EXPECT_FAIL = {
    "test_eps_views.py::test_mean_from_eps_flat": "c_t uses the one-step",
    "test_eps_views.py::test_mean_from_eps_images": "c_t uses the one-step",
    "test_eps_views.py::test_mean_is_derived": "is wrong",
}
