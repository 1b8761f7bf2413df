"""elbo_weight uses 1 − ᾱ_(t−1) (alphas_cumprod_prev) where 1 − ᾱ_t belongs: infinite at t = 0."""

KIND = "bug"
REPLACE = [
    (
        "elbo_impl",
        "beta, alpha, ab = sched.betas[idx], sched.alphas[idx], sched.alphas_cumprod[idx]",
        "beta, alpha, ab = sched.betas[idx], sched.alphas[idx], sched.alphas_cumprod_prev[idx]",
    )
]
EXPECT_FAIL = {"test_elbo.py::test_weight": "off by one"}
