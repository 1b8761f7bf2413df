"""Bug: the minibatches are drawn from the global RNG, ignoring the generator."""

KIND = "bug"
REPLACE = [
    (
        "train_impl",
        "torch.randint(0, X.shape[0], (batch_size,), generator=generator)",
        "torch.randint(0, X.shape[0], (batch_size,))",
    )
]
EXPECT_FAIL = {"test_train.py::test_reproduces_the_update_rule": "update rule in the notebook"}
