"""Bug: The pretrained head is kept (n_classes ignored)."""

KIND = "bug"
REPLACE = [
    ("transfer_impl", "    model.head = nn.Linear(pretrained.head.in_features, n_classes)\n", "")
]
EXPECT_FAIL = {"test_transfer.py::test_make_finetune_model": "new head must be nn.Linear"}
