"""Bug: V is updated with the already updated U."""

KIND = "bug"
REPLACE = [
    (
        "mf_impl",
        "        U, V = U - lr * dU, V - lr * dV",
        "        U = U - lr * dU\n        V = V - lr * mf_grads(X, U, V)[1]",
    )
]
EXPECT_FAIL = {"test_mf.py::test_factorize_follows_the_recipe": "old (U, V)"}
