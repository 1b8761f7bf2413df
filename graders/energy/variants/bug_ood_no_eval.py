"""The scores are computed in whatever mode the model is in: a batch-norm model in train
mode mixes the samples of the batch (and updates its running statistics)."""

KIND = "bug"
REPLACE = [("ood_scores_impl", "    model.eval()\n", "")]
EXPECT_FAIL = {"test_ood_scores.py::test_eval_mode": "not in evaluation mode"}
