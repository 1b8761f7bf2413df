"""The loss compares the network's output with x₀ instead of the noise."""

KIND = "bug"
REPLACE = [("ddpm_loss_impl", "F.mse_loss(model(xt, t), noise)", "F.mse_loss(model(xt, t), x0)")]
EXPECT_FAIL = {
    "test_loss.py::test_fixed_t_and_noise": "compared with x₀",
    "test_learning.py::test_samples_near_modes": "only",
}
