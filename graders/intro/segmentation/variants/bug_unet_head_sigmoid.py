"""Bug: The head returns probabilities instead of logits."""

KIND = "bug"
REPLACE = [("unet_impl", "return self.head(x)", "return torch.sigmoid(self.head(x))")]
EXPECT_FAIL = {"test_unet.py::test_forward_even_sizes": "no sigmoid"}
