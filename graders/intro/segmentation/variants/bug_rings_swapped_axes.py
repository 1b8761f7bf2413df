"""Bug: Rows are measured from c_x and columns from c_y."""

KIND = "bug"
REPLACE = [
    (
        "rings_impl",
        "rho = torch.sqrt((rows - cy) ** 2 + (cols - cx) ** 2)",
        "rho = torch.sqrt((rows - cx) ** 2 + (cols - cy) ** 2)",
    )
]
EXPECT_FAIL = {"test_rings.py::test_masks_match_geometry": "rows and columns are swapped"}
