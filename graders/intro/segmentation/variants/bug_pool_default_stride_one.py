"""Bug: pool_output_size treats stride=None as stride 1."""

KIND = "bug"
REPLACE = [("shapes_impl", "stride = kernel_size", "stride = 1")]
EXPECT_FAIL = {"test_shapes.py::test_pool_output_size": "stride=None must mean"}
