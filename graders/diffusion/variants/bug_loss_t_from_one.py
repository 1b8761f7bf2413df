"""Timesteps drawn from 1..T−1 (1-based habit): t = 0 is never trained."""

KIND = "bug"
REPLACE = [
    (
        "ddpm_loss_impl",
        "torch.randint(0, sched.num_timesteps,",
        "torch.randint(1, sched.num_timesteps,",
    )
]
EXPECT_FAIL = {"test_loss.py::test_random_timesteps": "t = 0 is never drawn"}
