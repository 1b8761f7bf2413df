"""Bug: The thickness is drawn from a Gaussian around the middle of its range."""

KIND = "bug"
REPLACE = [
    (
        "rings_impl",
        "params = low + (high - low) * u",
        "params = low + (high - low) * u\n    params[:, 3] = 0.11 * size + 0.01 * size * torch.randn(n, generator=generator)",
    )
]
EXPECT_FAIL = {"test_rings.py::test_params_are_uniform_in_range": "t does not cover its range"}
