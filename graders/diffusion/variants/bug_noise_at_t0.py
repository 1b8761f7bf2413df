"""Ho-style clipped log-variance, but the noise mask for t = 0 is forgotten."""

KIND = "bug"
REPLACE = [
    (
        "sampling_impl",
        "    mean, var = q_posterior_mean_variance(x0_hat, xt, tt, sched)\n"
        "    if t == 0:\n"
        "        return mean\n",
        "    mean, _ = q_posterior_mean_variance(x0_hat, xt, tt, sched)\n"
        "    pv = sched.posterior_variance\n"
        "    log_var = torch.log(torch.cat([pv[1:2], pv[1:]]))\n"
        "    var = extract(log_var, tt, xt).exp()\n",
    )
]
EXPECT_FAIL = {"test_sampling.py::test_step_noise_free_at_zero": "noise is added at t = 0"}
