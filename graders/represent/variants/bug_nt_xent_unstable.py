"""exp, then sum, then log: the loss overflows for a small temperature in float32."""

KIND = "bug"
CELLS = {
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    n = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    e = torch.exp(u @ u.T / temperature)
    e = e * (1 - torch.eye(2 * n, dtype=e.dtype, device=e.device))
    idx = torch.arange(2 * n, device=u.device)
    pos = e[idx, (idx + n) % (2 * n)]
    return -torch.log(pos / e.sum(dim=1)).mean()
""",
}
EXPECT_FAIL = {"test_nt_xent.py::test_small_temperature_float32": "overflows"}
