"""Bug: conv_transpose_output_size forgets output_padding."""

KIND = "bug"
REPLACE = [("shapes_impl", "+ output_padding + 1", "+ 1")]
EXPECT_FAIL = {"test_shapes.py::test_conv_transpose_output_size": "output_padding is ignored"}
