"""update writes into a copy of the buffer, so the chains are never persisted."""

KIND = "bug"
REPLACE = [
    (
        "replay_buffer_impl",
        "self.buffer[idx] = x.detach().to(self.buffer)",
        "buffer = self.buffer.clone()\n        buffer[idx] = x.detach().to(buffer)",
    )
]
EXPECT_FAIL = {
    "test_replay_buffer.py::test_update_writes_back": "never persisted",
    "test_train_jem.py::test_samples_near_data": "buffer.update",
}
