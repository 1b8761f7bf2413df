"""Bug: sampling ignores the generator argument and uses the global RNG."""

KIND = "bug"
REPLACE = [
    (
        "generate_impl",
        "torch.multinomial(probs, num_samples=1, generator=generator)",
        "torch.multinomial(probs, num_samples=1)",
    )
]
EXPECT_FAIL = {
    "test_generate.py::test_generator_reproducible": "same generator seed gave different"
}
