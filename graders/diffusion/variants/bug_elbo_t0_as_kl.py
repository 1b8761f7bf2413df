"""elbo_term uses the KL formula at t = 0 too, where β̃_0 = 0: the term is infinite there."""

KIND = "bug"
REPLACE = [("elbo_impl", "const = torch.where(idx == 0, nll_const, kl_const)", "const = kl_const")]
EXPECT_FAIL = {
    "test_elbo.py::test_decoder_at_t0": "not finite at t = 0",
    "test_elbo.py::test_kl_is_weighted_simple_loss": "constant C_t",
}
