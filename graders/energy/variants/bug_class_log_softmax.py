"""sample_class samples with -log softmax(f(x))_y = -log p(y | x) instead of -f(x)[y]."""

KIND = "bug"
REPLACE = [
    (
        "sample_class_impl",
        "return class_energy(model(x), labels)",
        "return -F.log_softmax(model(x), dim=1).gather(1, labels[:, None]).squeeze(1)",
    )
]
EXPECT_FAIL = {"test_sample_class.py::test_class_matches_chain": "log p(y | x)"}
