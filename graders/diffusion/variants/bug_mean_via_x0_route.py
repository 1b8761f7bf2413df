"""p_mean_from_eps calls the x̂₀ route again instead of the derived one-line formula:
numerically right, but the derivation it is graded for is missing."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        """    shape = (-1,) + (1,) * (xt.dim() - 1)
    coef = (sched.betas / (1 - sched.alphas_cumprod).sqrt())[t.cpu()]
    scale = sched.alphas.sqrt()[t.cpu()]
    coef, scale = (c.reshape(shape).to(device=xt.device, dtype=xt.dtype) for c in (coef, scale))
    return (xt - coef * eps) / scale""",
        """    x0_hat = predict_x0_from_eps(xt, t, eps, sched)
    return q_posterior_mean_variance(x0_hat, xt, t, sched)[0]""",
    )
]
EXPECT_FAIL = {"test_eps_views.py::test_mean_is_derived": "formula you derived"}
