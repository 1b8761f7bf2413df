"""Bug: copy.copy shares the submodules with the pretrained model."""

KIND = "bug"
REPLACE = [("transfer_impl", "model = copy.deepcopy(pretrained)", "model = copy.copy(pretrained)")]
EXPECT_FAIL = {"test_transfer.py::test_make_finetune_model": "pretrained model"}
