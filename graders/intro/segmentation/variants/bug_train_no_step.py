"""Bug: The optimizer never steps."""

KIND = "bug"
REPLACE = [("train_impl", "        optimizer.step()\n", "")]
EXPECT_FAIL = {"test_train.py::test_history_and_batches": "did not change the model"}
