"""The ECE averages the per-bin gaps without weighting them by the bins' sizes."""

KIND = "bug"
REPLACE = [
    (
        "evaluation_impl",
        """    ece = 0.0
    for b in range(n_bins):
        in_bin = (conf > b / n_bins) & (conf <= (b + 1) / n_bins)
        if in_bin.any():
            weight = in_bin.to(torch.float64).mean()
            ece += (weight * (correct[in_bin].mean() - conf[in_bin].mean()).abs()).item()
    return float(ece)""",
        """    gaps = []
    for b in range(n_bins):
        in_bin = (conf > b / n_bins) & (conf <= (b + 1) / n_bins)
        if in_bin.any():
            gaps.append((correct[in_bin].mean() - conf[in_bin].mean()).abs().item())
    return float(sum(gaps) / len(gaps))""",
    )
]
EXPECT_FAIL = {
    "test_evaluation.py::test_ece_worked_example": "weighted equally",
    "test_evaluation.py::test_ece_matches_definition": "weighted equally",
}
