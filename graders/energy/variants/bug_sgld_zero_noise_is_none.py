"""noise_std=0.0 is treated like None (`if not noise_std`)."""

KIND = "bug"
REPLACE = [("sgld_step_impl", "if noise_std is None:", "if not noise_std:")]
EXPECT_FAIL = {"test_sgld_step.py::test_step_zero_noise": "treated like None"}
