"""Correct: the reference plus the student's own top-level checks with F.conv2d and
F.max_pool2d in the solution cells (allowed outside the graded functions)."""

KIND = "correct"
REPLACE = [
    (
        "conv2d_impl",
        "    dx = dxp[:, :, padding : padding + h, padding : padding + w]\n    return dx, dW, db",
        "    dx = dxp[:, :, padding : padding + h, padding : padding + w]\n    return dx, dW, db\n\n\n"
        "# my own check against the built-in convolution (not graded)\n"
        "x = torch.randn(1, 2, 5, 5, dtype=torch.float64)\n"
        "W = torch.randn(3, 2, 3, 3, dtype=torch.float64)\n"
        "out = F.conv2d(x, W, padding=1)\n"
        "assert torch.allclose(out, conv2d_forward(x, W, torch.zeros(3, dtype=torch.float64), 1)[0])\n",
    ),
    (
        "maxpool_impl",
        "    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)",
        "    return dwin.reshape(n, c, h // 2, w // 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)\n\n\n"
        "x = torch.randn(1, 1, 4, 4)\n"
        "assert torch.equal(F.max_pool2d(x, 2), maxpool2x2_forward(x)[0])\n",
    ),
]
