"""The squared errors are summed instead of averaged."""

KIND = "bug"
REPLACE = [
    (
        "ddpm_loss_impl",
        "F.mse_loss(model(xt, t), noise)",
        "F.mse_loss(model(xt, t), noise, reduction='sum')",
    )
]
EXPECT_FAIL = {"test_loss.py::test_fixed_t_and_noise": "summed"}
