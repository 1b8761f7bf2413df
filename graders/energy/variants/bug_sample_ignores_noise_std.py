"""sgld_sample does not pass noise_std on to sgld_step."""

KIND = "bug"
REPLACE = [
    (
        "sgld_sample_impl",
        "x = sgld_step(x, energy_fn, step_size, noise_std, generator)",
        "x = sgld_step(x, energy_fn, step_size, generator=generator)",
    )
]
EXPECT_FAIL = {"test_sgld_sample.py::test_sample_passes_noise_std": "noise_std"}
