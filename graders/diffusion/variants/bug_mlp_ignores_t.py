"""EpsMLP never uses the timestep."""

KIND = "bug"
REPLACE = [
    (
        "network_impl",
        "return self.net(self.inp(x) + self.time_mlp(timestep_embedding(t, self.time_dim)))",
        "return self.net(self.inp(x))",
    )
]
EXPECT_FAIL = {"test_network.py::test_eps_mlp": "ignores t"}
