"""The sampler multiplies the noise by the variance instead of the standard deviation."""

KIND = "bug"
REPLACE = [("sampling_impl", "return mean + var.sqrt() * z", "return mean + var * z")]
EXPECT_FAIL = {
    "test_sampling.py::test_step_variance": "square root",
    "test_sampling.py::test_loop_std": "square root",
}
