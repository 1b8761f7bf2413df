"""q_posterior_mean_variance multiplies x_t by coef1 and x₀ by coef2."""

KIND = "bug"
REPLACE = [
    (
        "posterior_impl",
        "extract(sched.posterior_mean_coef1, t, xt) * x0 + extract(sched.posterior_mean_coef2, t, xt) * xt",
        "extract(sched.posterior_mean_coef1, t, xt) * xt + extract(sched.posterior_mean_coef2, t, xt) * x0",
    )
]
EXPECT_FAIL = {
    "test_posterior.py::test_posterior_mean": "swapped",
    "test_sampling.py::test_loop_mean": "",
}
