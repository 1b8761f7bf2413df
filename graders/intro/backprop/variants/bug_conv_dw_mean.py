"""Bug: dW is averaged over the batch."""

KIND = "bug"
REPLACE = [
    (
        "conv2d_impl",
        'dW = torch.einsum("nfhw,nchwij->fcij", grad_out, patches)',
        'dW = torch.einsum("nfhw,nchwij->fcij", grad_out, patches) / x.shape[0]',
    )
]
EXPECT_FAIL = {"test_conv2d.py::test_grad_weight": "averaged over the batch"}
