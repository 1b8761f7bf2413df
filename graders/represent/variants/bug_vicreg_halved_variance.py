"""The variance terms are halved, as in the official VICReg code (the notebook adds them)."""

KIND = "bug"
REPLACE = [
    (
        "vicreg_impl",
        "variance = variance + F.relu(gamma - std).mean()",
        "variance = variance + F.relu(gamma - std).mean() / 2",
    ),
]
EXPECT_FAIL = {"test_vicreg.py::test_variance_term": "halved"}
