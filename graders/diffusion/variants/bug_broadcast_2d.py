"""Coefficients reshaped to (B, 1): works on (B, D) data only, not on images."""

KIND = "bug"
REPLACE = [("q_sample_impl", "out.reshape(-1, *([1] * (x.dim() - 1)))", "out[:, None]")]
EXPECT_FAIL = {
    "test_q_sample.py::test_image_data": "image-shaped data",
    "test_posterior.py::test_predict_x0_images": "",
    "test_posterior.py::test_round_trip": "",
}
