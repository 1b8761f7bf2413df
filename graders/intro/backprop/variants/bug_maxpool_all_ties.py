"""Bug: max-pool backward sends the gradient to every entry equal to the window's maximum."""

KIND = "bug"
CELLS = {
    "maxpool_impl": '''
def maxpool2x2_forward(x):
    """x (N, C, H, W) with H, W even -> (out (N, C, H/2, W/2), cache)."""
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = windows.amax(dim=(3, 5))
    return out, (x, out)


def maxpool2x2_backward(grad_out, cache):
    """grad_out (N, C, H/2, W/2) -> dx (N, C, H, W)."""
    x, out = cache
    n, c, h, w = x.shape
    windows = x.reshape(n, c, h // 2, 2, w // 2, 2)
    mask = (windows == out[:, :, :, None, :, None]).to(grad_out.dtype)
    return (mask * grad_out[:, :, :, None, :, None]).reshape(n, c, h, w)
'''
}
EXPECT_FAIL = {"test_maxpool.py::test_ties": "every maximum"}
