"""Bug: Uniform noise of the right variance instead of Gaussian noise."""

KIND = "bug"
REPLACE = [
    (
        "rings_impl",
        "noise = torch.randn(n, size, size, generator=generator)",
        "noise = (torch.rand(n, size, size, generator=generator) - 0.5) * 12**0.5",
    )
]
EXPECT_FAIL = {"test_rings.py::test_images_intensity_and_noise": "not Gaussian"}
