"""The variance term has no hinge: gamma - std is averaged as it is."""

KIND = "bug"
REPLACE = [
    ("vicreg_impl", "F.relu(gamma - std).mean()", "(gamma - std).mean()"),
]
EXPECT_FAIL = {
    "test_vicreg.py::test_variance_term": "no hinge",
}
