"""Bug: The noise level is a fixed 0.1, not the image's sigma."""

KIND = "bug"
REPLACE = [("rings_impl", "sigma * noise", "0.1 * noise")]
EXPECT_FAIL = {"test_rings.py::test_images_intensity_and_noise": "standard deviation σ"}
