"""Bug: the gradient is added: gradient ascent on the NLL."""

KIND = "bug"
REPLACE = [
    ("train_impl", "W = W - lr * dW", "W = W + lr * dW"),
    ("train_impl", "b = b - lr * db", "b = b + lr * db"),
]
EXPECT_FAIL = {
    "test_train.py::test_reproduces_the_update_rule": "added instead of subtracted",
    "test_train.py::test_digits_accuracy": "held-out digits",
}
