"""q_posterior_mean_variance returns the standard deviation instead of the variance."""

KIND = "bug"
REPLACE = [
    (
        "posterior_impl",
        "return mean, extract(sched.posterior_variance, t, xt)",
        "return mean, extract(sched.posterior_variance.sqrt(), t, xt)",
    )
]
EXPECT_FAIL = {
    "test_posterior.py::test_posterior_variance": "standard deviation",
    "test_sampling.py::test_step_variance": "variance",
}
