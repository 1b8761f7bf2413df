"""Bug: V is drawn before U."""

KIND = "bug"
REPLACE = [
    (
        "mf_impl",
        "    U = 0.1 * torch.randn(m, k, generator=generator, dtype=X.dtype).to(X.device)\n    V = 0.1 * torch.randn(n, k, generator=generator, dtype=X.dtype).to(X.device)",
        "    V = 0.1 * torch.randn(n, k, generator=generator, dtype=X.dtype).to(X.device)\n    U = 0.1 * torch.randn(m, k, generator=generator, dtype=X.dtype).to(X.device)",
    )
]
EXPECT_FAIL = {"test_mf.py::test_factorize_follows_the_recipe": "does not follow the stated recipe"}
