"""Bug: sgd_step adds the gradient (ascent)."""

KIND = "bug"
REPLACE = [("cnn_impl", "p - lr * grads[name]", "p + lr * grads[name]")]
EXPECT_FAIL = {
    "test_cnn.py::test_sgd_step": "uphill",
    "test_cnn.py::test_training": "held-out digits",
}
