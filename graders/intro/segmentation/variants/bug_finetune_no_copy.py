"""Bug: make_finetune_model modifies the pretrained model in place."""

KIND = "bug"
REPLACE = [("transfer_impl", "model = copy.deepcopy(pretrained)", "model = pretrained")]
EXPECT_FAIL = {"test_transfer.py::test_make_finetune_model": "must return a new model"}
