"""elbo_term forgets the factor 1/2 of the Gaussian KL (and of the log-likelihood)."""

KIND = "bug"
REPLACE = [
    ("elbo_impl", "return 0.5 * (sq / var_p + dim * const)", "return sq / var_p + dim * const")
]
EXPECT_FAIL = {
    "test_elbo.py::test_kl": "factor 1/2",
    "test_elbo.py::test_decoder_at_t0": "factor 1/2",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
