"""The noise comes from torch.randn_like: the generator is ignored."""

KIND = "bug"
REPLACE = [
    (
        "augment_impl",
        "noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)",
        "noise = torch.randn_like(x)",
    ),
]
EXPECT_FAIL = {
    "test_augment.py::test_noise_matches_reference": "add_noise is wrong",
    "test_augment.py::test_inputs_dtype_and_generator": "global random state",
}
