"""q_sample uses the one-step α_t instead of the cumulative ᾱ_t."""

KIND = "bug"
REPLACE = [("q_sample_impl", "    ab = sched.alphas_cumprod\n", "    ab = sched.alphas\n")]
EXPECT_FAIL = {
    "test_q_sample.py::test_flat_data": "one-step α_t",
    "test_q_sample.py::test_image_data": "one-step α_t",
}
