"""Bug: conv_output_size divides with / and returns a float."""

KIND = "bug"
REPLACE = [("shapes_impl", "- 1) // stride + 1", "- 1) / stride + 1")]
EXPECT_FAIL = {"test_shapes.py::test_conv_output_size": "must return a Python int"}
