"""Bug: the ridge loss averages the squared errors (MSE) instead of summing them."""

KIND = "bug"
REPLACE = [("ridge_impl", "return (residual**2).sum() + alpha * (w**2).sum()",
            "return (residual**2).mean() + alpha * (w**2).sum()")]  # fmt: skip
EXPECT_FAIL = {"test_ridge.py::test_loss": "not the mean"}
