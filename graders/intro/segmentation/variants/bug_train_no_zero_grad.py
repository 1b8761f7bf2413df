"""Bug: Gradients accumulate: no zero_grad."""

KIND = "bug"
REPLACE = [("train_impl", "        optimizer.zero_grad()\n", "")]
EXPECT_FAIL = {"test_train.py::test_trained_dice": "Dice score of only"}
