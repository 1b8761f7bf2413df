"""Bug: temperature only switches greedy decoding on; otherwise it is ignored."""

KIND = "bug"
REPLACE = [("generate_impl", "                logits = logits / temperature\n", "")]
EXPECT_FAIL = {"test_generate.py::test_temperature": "temperature is ignored"}
