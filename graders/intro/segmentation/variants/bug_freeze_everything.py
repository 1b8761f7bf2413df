"""Bug: freeze_features freezes the head too."""

KIND = "bug"
REPLACE = [
    (
        "transfer_impl",
        "    for p in model.head.parameters():\n        p.requires_grad_(True)\n    return model",
        "    for p in model.head.parameters():\n        p.requires_grad_(False)\n    return model",
    )
]
EXPECT_FAIL = {"test_transfer.py::test_freeze_features": "head must be trainable"}
