"""Bug: the whole sequence is fed to the model, never cropped to block_size."""

KIND = "bug"
REPLACE = [("generate_impl", "context = idx[:, -model.block_size :]", "context = idx")]
EXPECT_FAIL = {"test_generate.py::test_context_cropping": "does not crop"}
