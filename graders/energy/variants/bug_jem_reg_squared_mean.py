"""The energy regulariser squares the mean energies instead of averaging the squares."""

KIND = "bug"
REPLACE = [
    (
        "jem_loss_impl",
        "energy_reg * ((e_data**2).mean() + (e_sample**2).mean())",
        "energy_reg * (e_data.mean() ** 2 + e_sample.mean() ** 2)",
    )
]
EXPECT_FAIL = {"test_jem_loss.py::test_energy_regulariser": "mean of the squared"}
