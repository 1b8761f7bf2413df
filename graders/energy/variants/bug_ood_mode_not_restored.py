"""The model is put in eval mode and left there."""

KIND = "bug"
REPLACE = [("ood_scores_impl", "model.train(was_training)", "pass")]
EXPECT_FAIL = {"test_ood_scores.py::test_eval_mode": "put it back"}
