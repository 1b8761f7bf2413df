"""elbo_term gives q(x_(t−1) | x_t, x0) the variance β_t instead of the posterior variance β̃_t."""

KIND = "bug"
REPLACE = [
    (
        "elbo_impl",
        "var_q, var_p = sched.posterior_variance[idx], sigma2.cpu()[idx]",
        "var_q, var_p = sched.betas[idx], sigma2.cpu()[idx]",
    )
]
EXPECT_FAIL = {
    "test_elbo.py::test_kl": "not β_t",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
