"""score_from_eps uses the one-step α_t where the cumulative ᾱ_t belongs."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        "(1 - sched.alphas_cumprod).sqrt()[t.cpu()]",
        "(1 - sched.alphas).sqrt()[t.cpu()]",
    )
]
EXPECT_FAIL = {
    "test_eps_views.py::test_score_gaussian": "one-step",
    "test_eps_views.py::test_score_images": "is wrong",
}
