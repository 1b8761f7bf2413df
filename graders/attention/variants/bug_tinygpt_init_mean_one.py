"""Bug: weights drawn from N(1, 0.02²); LayerNorm hides it and the initial loss is still ≈ ln V."""

KIND = "bug"
REPLACE = [("tinygpt_impl", "mean=0.0, std=0.02", "mean=1.0, std=0.02")]
EXPECT_FAIL = {"test_tinygpt.py::test_loss_at_initialisation": "from N(0, 0.02²)"}
