"""score_from_eps returns +ε/√(1 − ᾱ_t): the score points away from the data."""

KIND = "bug"
REPLACE = [("eps_views_impl", "return -eps / scale", "return eps / scale")]
EXPECT_FAIL = {
    "test_eps_views.py::test_score_gaussian": "wrong way",
    "test_eps_views.py::test_score_images": "is wrong",
}
