"""The float64 coefficients are not converted: float32 data come back as float64."""

KIND = "bug"
REPLACE = [
    (
        "q_sample_impl",
        "coef.to(t.device)[t].to(device=x.device, dtype=x.dtype)",
        "coef.to(t.device)[t].to(x.device)",
    )
]
EXPECT_FAIL = {
    "test_q_sample.py::test_keeps_dtype": "dtype",
    "test_learning.py::test_samples_near_modes": "",
}
