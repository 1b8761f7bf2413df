"""The linear schedule is built in float32 (torch.linspace's default dtype)."""

KIND = "bug"
REPLACE = [
    (
        "schedules_impl",
        "torch.linspace(beta_start, beta_end, T, dtype=torch.float64)",
        "torch.linspace(beta_start, beta_end, T)",
    )
]
EXPECT_FAIL = {"test_schedules.py::test_dtype": "float64"}
