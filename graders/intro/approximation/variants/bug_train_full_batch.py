"""Bug: every step uses the whole data set instead of a drawn minibatch."""

KIND = "bug"
REPLACE = [
    (
        "train_impl",
        "idx = torch.randint(0, X.shape[0], (batch_size,), generator=generator).to(X.device)",
        "idx = torch.arange(X.shape[0], device=X.device)",
    )
]
EXPECT_FAIL = {"test_train.py::test_reproduces_the_update_rule": "whole data set"}
