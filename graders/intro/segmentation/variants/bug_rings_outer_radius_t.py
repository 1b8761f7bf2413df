"""Bug: The ring's outer radius is t instead of r + t."""

KIND = "bug"
REPLACE = [("rings_impl", "myo = (rho >= r) & (rho < r + t)", "myo = (rho >= r) & (rho < t)")]
EXPECT_FAIL = {"test_rings.py::test_masks_match_geometry": "outer radius is t"}
