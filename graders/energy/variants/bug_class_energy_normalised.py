"""class_energy returns -log_softmax(logits)[y] (the cross-entropy) instead of -logits[y]."""

KIND = "bug"
REPLACE = [
    (
        "energy_impl",
        "return -logits.gather(-1, y.long().unsqueeze(-1)).squeeze(-1)",
        "return -torch.log_softmax(logits, -1).gather(-1, y.long().unsqueeze(-1)).squeeze(-1)",
    )
]
EXPECT_FAIL = {
    "test_energy.py::test_class_energy_matches_definition": "do not normalise",
    "test_energy.py::test_energy_difference_is_cross_entropy": "cross-entropy",
}
