"""A tie in the votes goes to the smallest label (argmax of the counts)."""

KIND = "bug"
REPLACE = [
    (
        "knn_impl",
        "    tied = votes == votes.max(dim=1, keepdim=True).values\n    first = tied.gather(1, labels).to(torch.int64).argmax(dim=1)\n    return labels.gather(1, first.unsqueeze(1)).squeeze(1)",
        "    return votes.argmax(dim=1)",
    ),
]
EXPECT_FAIL = {
    "test_knn.py::test_vote_ties": "smallest label",
}
