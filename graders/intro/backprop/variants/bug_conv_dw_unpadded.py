"""Bug: dW correlates grad_out with the unpadded input (crops grad_out instead)."""

KIND = "bug"
REPLACE = [
    (
        "conv2d_impl",
        'dW = torch.einsum("nfhw,nchwij->fcij", grad_out, patches)',
        'core = grad_out[:, :, padding : ho - padding, padding : wo - padding] if padding else grad_out\n    dW = torch.einsum("nfhw,nchwij->fcij", core, x.unfold(2, kh, 1).unfold(3, kw, 1))',
    )
]
EXPECT_FAIL = {"test_conv2d.py::test_grad_weight": "PADDED input"}
