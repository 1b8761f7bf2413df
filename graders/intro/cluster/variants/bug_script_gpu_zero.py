"""Bug: gpus=0 writes --gres=gpu:0."""

KIND = "bug"
REPLACE = [("script_impl", "            if value == 0:\n                continue\n", "")]
EXPECT_FAIL = {"test_script.py::test_optional_keys": "gpus=0"}
