"""Bug: PyTorch's default initialisation instead of N(0, 0.02²)."""

KIND = "bug"
REPLACE = [("tinygpt_impl", "        self.apply(self._init_weights)\n", "")]
EXPECT_FAIL = {"test_tinygpt.py::test_loss_at_initialisation": "N(0, 0.02²)"}
