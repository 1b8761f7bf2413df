"""The features are not detached: the probe backpropagates into them."""

KIND = "bug"
REPLACE = [
    ("probe_impl", "    train_z, test_z = train_z.detach(), test_z.detach()\n", ""),
]
EXPECT_FAIL = {
    "test_linear_probe.py::test_features_are_frozen": "detach",
}
