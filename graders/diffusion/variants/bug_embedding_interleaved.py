"""Timestep embedding with sin and cos interleaved instead of concatenated."""

KIND = "bug"
REPLACE = [
    (
        "network_impl",
        "emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)",
        "emb = torch.stack([torch.sin(args), torch.cos(args)], dim=-1).flatten(1)",
    )
]
EXPECT_FAIL = {"test_network.py::test_embedding_values": "interleaved"}
