"""At t = 0, elbo_term drops the 2π of the Gaussian log-density: (D/2) log σ_0² instead of (D/2) log(2π σ_0²)."""

KIND = "bug"
REPLACE = [
    ("elbo_impl", "nll_const = torch.log(2 * math.pi * var_p)", "nll_const = torch.log(var_p)")
]
EXPECT_FAIL = {
    "test_elbo.py::test_decoder_at_t0": "misses its 2π",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
