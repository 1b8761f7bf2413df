"""The drift is step_size * grad E(x): the factor 1/2 is missing."""

KIND = "bug"
REPLACE = [
    ("sgld_step_impl", "x.detach() - 0.5 * step_size * grad", "x.detach() - step_size * grad")
]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_closed_form": "factor 1/2",
    "test_sgld_step.py::test_step_zero_noise": "factor 1/2",
    "test_sgld_sample.py::test_chains_recover_covariance": "factor 1/2",
}
