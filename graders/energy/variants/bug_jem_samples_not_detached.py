"""jem_loss does not detach x_sample, so gradients flow into whatever produced it."""

KIND = "bug"
REPLACE = [("jem_loss_impl", "model(x_sample.detach())", "model(x_sample)")]
EXPECT_FAIL = {"test_jem_loss.py::test_samples_carry_no_gradient": "not detached"}
