"""augment scales before it shifts: the draws come in the wrong order."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "    x = random_shift(x, max_shift, generator)\n    x = random_scale(x, low, high, generator)",
        "    x = random_scale(x, low, high, generator)\n    x = random_shift(x, max_shift, generator)",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_augment_composition": "order",
}
