"""Bug: value defaults to query instead of key."""

KIND = "bug"
REPLACE = [
    (
        "mha_impl",
        "value = key if value is None else value",
        "value = query if value is None else value",
    )
]
EXPECT_FAIL = {"test_mha.py::test_cross_attention": "value must default to key"}
