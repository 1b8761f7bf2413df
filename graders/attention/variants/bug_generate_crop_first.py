"""Bug: the context is cropped to the first block_size tokens instead of the last."""

KIND = "bug"
REPLACE = [
    (
        "generate_impl",
        "context = idx[:, -model.block_size :]",
        "context = idx[:, : model.block_size]",
    )
]
EXPECT_FAIL = {"test_generate.py::test_context_cropping": "first block_size tokens"}
