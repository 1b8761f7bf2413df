"""q_sample forgets the square roots of the coefficients."""

KIND = "bug"
REPLACE = [
    (
        "q_sample_impl",
        "extract(ab.sqrt(), t, x0) * x0 + extract((1 - ab).sqrt(), t, x0) * noise",
        "extract(ab, t, x0) * x0 + extract(1 - ab, t, x0) * noise",
    )
]
EXPECT_FAIL = {"test_q_sample.py::test_flat_data": "square roots"}
