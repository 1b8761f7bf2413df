"""The samples' energy is computed under torch.no_grad(): it gives no gradient at all."""

KIND = "bug"
REPLACE = [
    (
        "jem_loss_impl",
        "e_sample = energy_from_logits(model(x_sample.detach()))",
        "with torch.no_grad():\n        e_sample = energy_from_logits(model(x_sample))",
    )
]
EXPECT_FAIL = {"test_jem_loss.py::test_gradients": "no gradient flows through the samples"}
