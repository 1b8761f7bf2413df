"""The Langevin noise is not multiplied by noise_std."""

KIND = "bug"
REPLACE = [("sgld_step_impl", "+ noise_std * noise)", "+ noise)")]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_closed_form": "not scaled",
    "test_sgld_sample.py::test_chains_recover_covariance": "not scaled",
}
