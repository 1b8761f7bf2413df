"""sample_class does not pass noise_std on to sgld_sample."""

KIND = "bug"
REPLACE = [
    (
        "sample_class_impl",
        "sgld_sample(energy, x0, n_steps, step_size, noise_std, generator)",
        "sgld_sample(energy, x0, n_steps, step_size, generator=generator)",
    )
]
EXPECT_FAIL = {"test_sample_class.py::test_class_passes_noise_std": "noise_std is not passed on"}
