"""Cosine schedule without clipping: the last β is 1."""

KIND = "bug"
REPLACE = [("schedules_impl", "return betas.clamp(max=0.999)", "return betas")]
EXPECT_FAIL = {"test_schedules.py::test_cosine_clipping_and_monotonicity": "clip"}
