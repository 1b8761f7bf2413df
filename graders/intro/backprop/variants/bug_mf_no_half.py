"""Bug: mf_loss forgets the factor 1/2."""

KIND = "bug"
REPLACE = [("mf_impl", "return 0.5 * (R * R).sum()", "return (R * R).sum()")]
EXPECT_FAIL = {"test_mf.py::test_loss": "1/2 is missing"}
