"""Bug: looping over even columns c, the exponent is written 2c/d instead of c/d."""

KIND = "bug"
REPLACE = [
    (
        "positional_encoding_impl",
        "angle = position / 10000 ** (two_i / d_model)",
        "angle = position / 10000 ** (2 * two_i / d_model)",
    )
]
EXPECT_FAIL = {"test_positional_encoding.py::test_closed_form": "c/d, not 2c/d"}
