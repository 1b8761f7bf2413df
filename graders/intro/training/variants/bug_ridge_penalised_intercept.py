"""Bug: a column of ones is appended and penalised like the weights."""

KIND = "bug"
REPLACE = [("ridge_impl",
            """    x_mean, y_mean = X.mean(0), y.mean()
    Xc = X - x_mean
    A = Xc.T @ Xc + alpha * torch.eye(X.shape[1], dtype=X.dtype)
    w = torch.linalg.solve(A, Xc.T @ (y - y_mean))
    return w, y_mean - x_mean @ w""",
            """    A = torch.cat([X, torch.ones(X.shape[0], 1, dtype=X.dtype)], 1)
    theta = torch.linalg.solve(A.T @ A + alpha * torch.eye(A.shape[1], dtype=X.dtype), A.T @ y)
    return theta[:-1], theta[-1]""")]  # fmt: skip
EXPECT_FAIL = {"test_ridge.py::test_fit_matches_sklearn": "intercept is penalised"}
