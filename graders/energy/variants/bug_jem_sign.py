"""The contrastive term is E(samples) - E(data): the energy is pushed up on the data."""

KIND = "bug"
REPLACE = [
    (
        "jem_loss_impl",
        "loss = ce + e_data.mean() - e_sample.mean()",
        "loss = ce - e_data.mean() + e_sample.mean()",
    )
]
EXPECT_FAIL = {
    "test_jem_loss.py::test_loss_matches_reference": "wrong sign",
    "test_train_jem.py::test_samples_near_data": "push the energy down on data",
}
