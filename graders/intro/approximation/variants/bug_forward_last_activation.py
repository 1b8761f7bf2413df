"""Bug: the activation is applied after every layer, the output layer too."""

KIND = "bug"
REPLACE = [
    (
        "mlp_impl",
        "        if i < len(params) - 1:\n            h = activation(h)",
        "        h = activation(h)",
    )
]
EXPECT_FAIL = {"test_mlp.py::test_forward_matches_reference": "after the last layer"}
