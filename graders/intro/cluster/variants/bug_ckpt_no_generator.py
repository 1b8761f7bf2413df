"""Bug: the generator's state is not restored."""

KIND = "bug"
REPLACE = [("ckpt_impl", '    generator.set_state(state["generator"])\n', "")]
EXPECT_FAIL = {
    "test_checkpoint.py::test_roundtrip": "generator",
    "test_checkpoint.py::test_resume_equals_uninterrupted": "the generator's state is not restored",
}
