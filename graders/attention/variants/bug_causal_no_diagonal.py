"""Bug: the causal mask excludes the diagonal (a token cannot see itself)."""

KIND = "bug"
REPLACE = [
    (
        "causal_mask_impl",
        "torch.ones(L, L, dtype=torch.bool, device=device))",
        "torch.ones(L, L, dtype=torch.bool, device=device), diagonal=-1)",
    )
]
EXPECT_FAIL = {"test_causal_mask.py::test_values": "diagonal is excluded"}
