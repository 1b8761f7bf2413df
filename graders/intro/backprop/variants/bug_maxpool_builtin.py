"""Bug: max-pooling with F.max_pool2d(return_indices=True) and F.max_unpool2d."""

KIND = "bug"
CELLS = {
    "maxpool_impl": '''
def maxpool2x2_forward(x):
    """x (N, C, H, W) with H, W even -> (out (N, C, H/2, W/2), cache)."""
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    return out, (idx, x.shape)


def maxpool2x2_backward(grad_out, cache):
    """grad_out (N, C, H/2, W/2) -> dx (N, C, H, W)."""
    idx, shape = cache
    return F.max_unpool2d(grad_out, idx, 2, output_size=shape[2:])
'''
}
EXPECT_FAIL = {"test_maxpool.py::test_no_builtin_pooling": "built-in pooling"}
