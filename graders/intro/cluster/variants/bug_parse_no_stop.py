"""Bug: directives after the first command are still read."""

KIND = "bug"
REPLACE = [
    (
        "parse_impl",
        '        if not stripped.startswith("#"):\n            break\n',
        '        if not stripped.startswith("#"):\n            continue\n',
    )
]
EXPECT_FAIL = {"test_parse.py::test_where_directives_stop": "must be ignored"}
