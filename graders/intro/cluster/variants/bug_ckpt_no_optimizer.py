"""Bug: the optimizer's state is not in the checkpoint."""

KIND = "bug"
REPLACE = [
    ("ckpt_impl", '        "optimizer": optimizer.state_dict(),\n', ""),
    ("ckpt_impl", '    optimizer.load_state_dict(state["optimizer"])\n', ""),
]
EXPECT_FAIL = {
    "test_checkpoint.py::test_roundtrip": "optimizer",
    "test_checkpoint.py::test_resume_equals_uninterrupted": "the optimizer's state is not restored",
}
