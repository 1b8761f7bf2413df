"""The similarity is the dot product (no normalisation)."""

KIND = "bug"
REPLACE = [
    (
        "knn_impl",
        "sims = F.normalize(query_z, dim=1) @ F.normalize(train_z, dim=1).T",
        "sims = query_z @ train_z.T",
    ),
]
EXPECT_FAIL = {
    "test_knn.py::test_matches_reference": "dot product",
}
