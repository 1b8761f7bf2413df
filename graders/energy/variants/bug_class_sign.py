"""sample_class uses +f(x)[y] as the energy: the chains run down the class's logit."""

KIND = "bug"
REPLACE = [
    (
        "sample_class_impl",
        "return class_energy(model(x), labels)",
        "return -class_energy(model(x), labels)",
    )
]
EXPECT_FAIL = {
    "test_sample_class.py::test_class_matches_chain": "wrong sign",
    "test_sample_class.py::test_class_conditional_statistics": "diverge",
}
