"""Bug: The batches are drawn from the global generator."""

KIND = "bug"
REPLACE = [
    (
        "train_impl",
        "torch.randint(0, len(images), (batch_size,), generator=generator)",
        "torch.randint(0, len(images), (batch_size,))",
    )
]
EXPECT_FAIL = {"test_train.py::test_history_and_batches": "training batches are not"}
