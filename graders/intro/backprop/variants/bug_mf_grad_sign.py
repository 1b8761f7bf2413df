"""Bug: The residual has the wrong sign in mf_grads: gradient ascent."""

KIND = "bug"
REPLACE = [("mf_impl", "R = U @ V.T - X", "R = X - U @ V.T")]
EXPECT_FAIL = {
    "test_mf.py::test_grads": "sign is wrong",
    "test_mf.py::test_reaches_svd_optimum": "sign of the update",
}
