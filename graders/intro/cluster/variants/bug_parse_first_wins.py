"""Bug: the first occurrence of an option wins."""

KIND = "bug"
REPLACE = [
    (
        "parse_impl",
        "                directives[name] = value\n            elif",
        "                directives.setdefault(name, value)\n            elif",
    ),
    (
        "parse_impl",
        "                directives[name] = value\n            i += 1",
        "                directives.setdefault(name, value)\n            i += 1",
    ),
]
EXPECT_FAIL = {"test_parse.py::test_disabled_directives_and_comments": "keeps its last value"}
