"""Bug: the causal mask lets position i see position i+1."""

KIND = "bug"
REPLACE = [
    (
        "causal_mask_impl",
        "torch.ones(L, L, dtype=torch.bool, device=device))",
        "torch.ones(L, L, dtype=torch.bool, device=device), diagonal=1)",
    )
]
EXPECT_FAIL = {
    "test_causal_mask.py::test_values": "shifted by one",
    "test_tinygpt.py::test_causal_by_perturbation": "not causal",
}
