"""The step is computed from the copy that requires grad and returned without detaching."""

KIND = "bug"
REPLACE = [
    (
        "sgld_step_impl",
        "return (x.detach() - 0.5 * step_size * grad + noise_std * noise).detach()",
        "return x_in - 0.5 * step_size * grad + noise_std * noise",
    )
]
EXPECT_FAIL = {
    "test_sgld_step.py::test_step_returns_detached": "not detached",
    "test_sgld_sample.py::test_sample_detached_and_keeps_x0": "not detached",
}
