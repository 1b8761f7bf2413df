"""score_from_eps divides by 1 − ᾱ_t instead of √(1 − ᾱ_t)."""

KIND = "bug"
REPLACE = [
    (
        "eps_views_impl",
        "(1 - sched.alphas_cumprod).sqrt()[t.cpu()]",
        "(1 - sched.alphas_cumprod)[t.cpu()]",
    )
]
EXPECT_FAIL = {
    "test_eps_views.py::test_score_gaussian": "square root",
    "test_eps_views.py::test_score_images": "is wrong",
}
