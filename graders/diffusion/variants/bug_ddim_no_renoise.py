"""DDIM step jumps straight to x̂₀ instead of re-noising it to t_prev."""

KIND = "bug"
REPLACE = [
    (
        "ddim_impl",
        "return math.sqrt(ab_prev) * x0_hat + math.sqrt(1 - ab_prev) * eps",
        "return x0_hat",
    )
]
EXPECT_FAIL = {
    "test_ddim.py::test_ddim_step": "jumps to x̂₀",
    "test_ddim.py::test_ddim_sample_law": "",
}
