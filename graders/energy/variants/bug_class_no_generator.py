"""sample_class does not pass the generator on: the noise comes from the global state."""

KIND = "bug"
REPLACE = [
    (
        "sample_class_impl",
        "sgld_sample(energy, x0, n_steps, step_size, noise_std, generator)",
        "sgld_sample(energy, x0, n_steps, step_size, noise_std)",
    )
]
EXPECT_FAIL = {
    "test_sample_class.py::test_class_uses_generator": "generator",
    "test_sample_class.py::test_class_matches_chain": "sample_class is wrong",
}
