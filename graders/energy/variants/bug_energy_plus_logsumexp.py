"""The energy is +logsumexp of the logits (the sign is flipped)."""

KIND = "bug"
REPLACE = [
    (
        "energy_impl",
        "return -torch.logsumexp(logits, dim=-1)",
        "return torch.logsumexp(logits, dim=-1)",
    )
]
EXPECT_FAIL = {
    "test_energy.py::test_energy_matches_definition": "sign is flipped",
    "test_energy.py::test_energy_shift": "sign of the energy is flipped",
    "test_jem_loss.py::test_loss_matches_reference": "wrong sign",
}
