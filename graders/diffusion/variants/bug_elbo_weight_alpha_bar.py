"""elbo_weight divides by the cumulative ᾱ_t instead of the one-step α_t."""

KIND = "bug"
REPLACE = [
    (
        "elbo_impl",
        "2 * sigma2.cpu()[idx] * alpha * (1 - ab)",
        "2 * sigma2.cpu()[idx] * ab * (1 - ab)",
    )
]
EXPECT_FAIL = {
    "test_elbo.py::test_weight": "cumulative ᾱ_t",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
