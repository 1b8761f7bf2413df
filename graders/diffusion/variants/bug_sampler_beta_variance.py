"""The sampler's noise variance is β_t instead of the posterior variance β̃_t."""

KIND = "bug"
REPLACE = [
    (
        "sampling_impl",
        "return mean + var.sqrt() * z",
        "return mean + extract(sched.betas, tt, xt).sqrt() * z",
    )
]
EXPECT_FAIL = {"test_sampling.py::test_step_variance": "β_t"}
