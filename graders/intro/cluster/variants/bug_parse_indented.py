"""Bug: an indented '#SBATCH' line is taken as a directive."""

KIND = "bug"
REPLACE = [
    (
        "parse_impl",
        "        head = line[:7]\n        rest = line[7:]",
        "        head = stripped[:7]\n        rest = stripped[7:]",
    )
]
EXPECT_FAIL = {
    "test_parse.py::test_disabled_directives_and_comments": "only a line starting with '#SBATCH'"
}
