"""grad_norm is one norm over the whole batch's gradient, not one per sample."""

KIND = "bug"
REPLACE = [("ood_scores_impl", "grad.flatten(start_dim=1).norm(dim=1)", "grad.norm()")]
EXPECT_FAIL = {
    "test_ood_scores.py::test_grad_norm": "single number",
    "test_ood_scores.py::test_ood_keys_and_shapes": "one value per sample",
}
