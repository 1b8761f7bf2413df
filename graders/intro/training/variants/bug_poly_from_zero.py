"""Bug: the columns are x^0 .. x^(degree-1) (a constant column, the top power missing)."""

KIND = "bug"
REPLACE = [("poly_impl", "for d in range(1, degree + 1)", "for d in range(degree)")]
EXPECT_FAIL = {"test_poly.py::test_matches_sklearn": "start at x⁰"}
