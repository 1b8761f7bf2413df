"""Bug: The CNN flattens in (H, W, C) order but un-flattens in (C, H, W) order."""

KIND = "bug"
REPLACE = [
    (
        "cnn_impl",
        "flat = h3.reshape(h3.shape[0], -1)",
        "flat = h3.permute(0, 2, 3, 1).reshape(h3.shape[0], -1)",
    )
]
EXPECT_FAIL = {"test_cnn.py::test_loss_and_grads": "loss is wrong"}
