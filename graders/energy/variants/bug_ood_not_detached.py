"""neg_energy is returned with its autograd graph."""

KIND = "bug"
REPLACE = [("ood_scores_impl", '"neg_energy": neg_energy.detach()', '"neg_energy": neg_energy')]
EXPECT_FAIL = {"test_ood_scores.py::test_leaves_model_and_input": "not detached"}
