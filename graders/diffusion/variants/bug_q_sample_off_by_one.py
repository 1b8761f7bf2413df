"""q_sample uses ᾱ_{t−1} (alphas_cumprod_prev) instead of ᾱ_t."""

KIND = "bug"
REPLACE = [
    ("q_sample_impl", "    ab = sched.alphas_cumprod\n", "    ab = sched.alphas_cumprod_prev\n")
]
EXPECT_FAIL = {
    "test_q_sample.py::test_flat_data": "off by one",
    "test_q_sample.py::test_matches_forward_chain": "no noise at t = 0",
}
