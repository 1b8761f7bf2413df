"""Bug: stubs that only look right. q_sample returns x₀ and predict_x0_from_eps returns
x_t, so predict_x0_from_eps(q_sample(x₀, t, ε), t, ε) is x₀ without any diffusion."""

KIND = "bug"
REPLACE = [
    (
        "q_sample_impl",
        "return extract(ab.sqrt(), t, x0) * x0 + extract((1 - ab).sqrt(), t, x0) * noise",
        "return x0.clone()",
    ),
    (
        "posterior_impl",
        "return (xt - extract((1 - ab).sqrt(), t, xt) * eps) / extract(ab.sqrt(), t, xt)",
        "return xt.clone()",
    ),
]
EXPECT_FAIL = {
    "test_posterior.py::test_round_trip": "mix in the noise",
    "test_q_sample.py::test_flat_data": "q_sample is wrong",
}
