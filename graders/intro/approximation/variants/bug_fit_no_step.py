"""Bug: the optimiser never steps: the loss is computed, the parameters never change."""

KIND = "bug"
REPLACE = [("fit_impl", "        optimizer.step()\n", "")]
EXPECT_FAIL = {
    "test_fit.py::test_history_and_start": "no better than the initial ones",
    "test_fit.py::test_fits_sin": "mean squared error",
}
