"""Bug: The myocardium mask is the whole disc, blood pool included."""

KIND = "bug"
REPLACE = [("rings_impl", "myo = (rho >= r) & (rho < r + t)", "myo = rho < r + t")]
EXPECT_FAIL = {"test_rings.py::test_masks_match_geometry": "whole disc"}
