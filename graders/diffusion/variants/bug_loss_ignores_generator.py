"""The noise is drawn with randn_like, ignoring the generator."""

KIND = "bug"
REPLACE = [
    (
        "ddpm_loss_impl",
        "torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)",
        "torch.randn_like(x0)",
    )
]
EXPECT_FAIL = {"test_loss.py::test_uses_generator": "generator"}
