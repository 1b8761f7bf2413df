"""Bug: no centring and b = 0 (the model has no intercept)."""

KIND = "bug"
REPLACE = [("ridge_impl",
            """    x_mean, y_mean = X.mean(0), y.mean()
    Xc = X - x_mean""",
            """    x_mean, y_mean = torch.zeros_like(X[0]), torch.zeros_like(y[0])
    Xc = X""")]  # fmt: skip
EXPECT_FAIL = {"test_ridge.py::test_fit_matches_sklearn": "intercept is missing"}
