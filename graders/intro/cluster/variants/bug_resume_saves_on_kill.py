"""Bug: the simulated kill saves a checkpoint (a killed job cannot)."""

KIND = "bug"
REPLACE = [
    (
        "ckpt_impl",
        "        if max_steps is not None and done >= max_steps:\n            return step\n",
        "        if max_steps is not None and done >= max_steps:\n"
        "            save_checkpoint(ckpt_path, model, optimizer, step, generator)\n            return step\n",
    )
]
EXPECT_FAIL = {"test_checkpoint.py::test_resume_equals_uninterrupted": "returns the wrong steps"}
