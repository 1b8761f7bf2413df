"""The default noise scale is step_size instead of sqrt(step_size)."""

KIND = "bug"
REPLACE = [("sgld_step_impl", "noise_std = math.sqrt(step_size)", "noise_std = step_size")]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_closed_form": "instead of sqrt(step_size)",
    "test_sgld_sample.py::test_chains_recover_covariance": "instead of sqrt(step_size)",
}
