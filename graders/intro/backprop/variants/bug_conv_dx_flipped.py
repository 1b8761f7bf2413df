"""Bug: conv2d_backward scatters the gradient with the kernel the wrong way round."""

KIND = "bug"
REPLACE = [("conv2d_impl", "W[:, :, i, j])", "W[:, :, kh - 1 - i, kw - 1 - j])")]
EXPECT_FAIL = {"test_conv2d.py::test_grad_input": "wrong way round"}
