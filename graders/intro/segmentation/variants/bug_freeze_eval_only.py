"""Bug: freeze_features only switches the features to eval mode."""

KIND = "bug"
REPLACE = [
    (
        "transfer_impl",
        "    for p in model.features.parameters():\n        p.requires_grad_(False)\n",
        "    model.features.eval()\n",
    )
]
EXPECT_FAIL = {"test_transfer.py::test_freeze_features": "still require grad"}
