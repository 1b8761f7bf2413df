"""Cosine schedule with f(τ) = cos(...) instead of cos²(...)."""

KIND = "bug"
REPLACE = [("schedules_impl", "* math.pi / 2) ** 2", "* math.pi / 2)")]
EXPECT_FAIL = {"test_schedules.py::test_cosine_alpha_bar": "squared"}
