"""Bug: conv_output_size ignores the dilation."""

KIND = "bug"
REPLACE = [
    (
        "shapes_impl",
        "(size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1",
        "(size + 2 * padding - (kernel_size - 1) - 1) // stride + 1",
    )
]
EXPECT_FAIL = {"test_shapes.py::test_conv_output_size": "dilation is ignored"}
