"""Bug: the dropout argument is ignored."""

KIND = "bug"
REPLACE = [("block_impl", "self.dropout = nn.Dropout(dropout)", "self.dropout = nn.Identity()")]
EXPECT_FAIL = {"test_block.py::test_dropout": "no effect in training mode"}
