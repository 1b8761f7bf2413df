"""Bug: The noise is drawn from the global generator."""

KIND = "bug"
REPLACE = [
    (
        "rings_impl",
        "noise = torch.randn(n, size, size, generator=generator)",
        "noise = torch.randn(n, size, size)",
    )
]
EXPECT_FAIL = {"test_rings.py::test_generator": "same generator seed"}
