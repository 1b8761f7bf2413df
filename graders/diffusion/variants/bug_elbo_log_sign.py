"""elbo_term writes the KL's log-ratio upside down: log(β̃_t/σ_t²) instead of log(σ_t²/β̃_t)."""

KIND = "bug"
REPLACE = [
    (
        "elbo_impl",
        "torch.log(var_p / var_q) + var_q / var_p - 1",
        "torch.log(var_q / var_p) + var_q / var_p - 1",
    )
]
EXPECT_FAIL = {"test_elbo.py::test_kl": "wrong sign"}
