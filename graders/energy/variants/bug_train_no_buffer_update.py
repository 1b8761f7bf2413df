"""train_jem never writes the SGLD samples back into the replay buffer."""

KIND = "bug"
REPLACE = [("train_jem_impl", "        buffer.update(idx, x_s)\n", "")]
EXPECT_FAIL = {"test_train_jem.py::test_samples_near_data": "buffer.update"}
