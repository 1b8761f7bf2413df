"""Bug: dx keeps the padding (shape of the padded input)."""

KIND = "bug"
REPLACE = [
    ("conv2d_impl", "dx = dxp[:, :, padding : padding + h, padding : padding + w]", "dx = dxp")
]
EXPECT_FAIL = {"test_conv2d.py::test_grad_input": "crop the padding"}
