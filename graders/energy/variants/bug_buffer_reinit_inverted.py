"""The replay buffer re-initialises a row with probability 1 - reinit_freq."""

KIND = "bug"
REPLACE = [
    (
        "replay_buffer_impl",
        "fresh = torch.rand(n, generator=self.generator) < self.reinit_freq",
        "fresh = torch.rand(n, generator=self.generator) > self.reinit_freq",
    )
]
EXPECT_FAIL = {
    "test_replay_buffer.py::test_reinit_zero": "inverted",
    "test_replay_buffer.py::test_reinit_one": "inverted",
    "test_replay_buffer.py::test_reinit_rate": "inverted",
    "test_train_jem.py::test_samples_near_data": "near the data",
}
