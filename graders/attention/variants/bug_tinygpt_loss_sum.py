"""Bug: the loss is summed over positions instead of averaged."""

KIND = "bug"
REPLACE = [("tinygpt_impl", "targets.reshape(B * T))", 'targets.reshape(B * T), reduction="sum")')]
EXPECT_FAIL = {
    "test_tinygpt.py::test_loss_is_mean_cross_entropy": "summed instead of averaged",
    "test_tinygpt.py::test_loss_at_initialisation": "ln V",
}
