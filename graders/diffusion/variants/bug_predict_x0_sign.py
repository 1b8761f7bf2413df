"""predict_x0_from_eps adds the noise instead of subtracting it."""

KIND = "bug"
REPLACE = [
    (
        "posterior_impl",
        "(xt - extract((1 - ab).sqrt(), t, xt) * eps)",
        "(xt + extract((1 - ab).sqrt(), t, xt) * eps)",
    )
]
EXPECT_FAIL = {
    "test_posterior.py::test_predict_x0_flat": "subtract",
    "test_posterior.py::test_round_trip": "does not undo",
}
