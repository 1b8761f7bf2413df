"""sample_class runs SGLD on the unconditional energy E(x) = -logsumexp f(x): y is ignored."""

KIND = "bug"
REPLACE = [
    (
        "sample_class_impl",
        "return class_energy(model(x), labels)",
        "return energy_from_logits(model(x))",
    )
]
EXPECT_FAIL = {
    "test_sample_class.py::test_class_matches_chain": "unconditional",
    "test_sample_class.py::test_class_conditional_statistics": "do not centre",
}
