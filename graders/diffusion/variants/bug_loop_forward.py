"""The sampling loop runs forward in time (t = 0 … T−1)."""

KIND = "bug"
REPLACE = [
    (
        "sampling_impl",
        "for t in reversed(range(sched.num_timesteps)):",
        "for t in range(sched.num_timesteps):",
    )
]
EXPECT_FAIL = {
    "test_sampling.py::test_loop_visits_timesteps": "backwards",
    "test_sampling.py::test_loop_std": "",
}
