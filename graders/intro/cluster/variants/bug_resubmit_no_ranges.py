"""Bug: resubmit_spec lists every id, no a-b ranges."""

KIND = "bug"
REPLACE = [
    ("collect_impl", '    spec = ",".join(parts)\n', '    spec = ",".join(str(t) for t in ids)\n')
]
EXPECT_FAIL = {"test_collect.py::test_missing_and_resubmit": "resubmit_spec"}
