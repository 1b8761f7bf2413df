"""train_jem never zeroes the gradients, so they accumulate over the training steps."""

KIND = "bug"
REPLACE = [("train_jem_impl", "        optimizer.zero_grad()\n", "")]
EXPECT_FAIL = {
    "test_train_jem.py::test_accuracy": "zero_grad",
    "test_train_jem.py::test_samples_near_data": "near the data",
}
