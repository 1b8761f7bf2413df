"""The Langevin step adds the gradient (goes uphill on the energy)."""

KIND = "bug"
REPLACE = [
    ("sgld_step_impl", "x.detach() - 0.5 * step_size * grad", "x.detach() + 0.5 * step_size * grad")
]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_closed_form": "uphill",
    "test_sgld_sample.py::test_chains_recover_mean": "diverge",
    "test_train_jem.py::test_samples_near_data": "downhill",
}
