"""Lazy-but-consistent solution cells of the represent assignment (see lazy_cells.py):
the documented names, shapes and dtypes, augmentations that draw from the generator,
differentiable losses and reproducible labels, none of it what the notebook asks."""

from __future__ import annotations

_AUGMENT = """
def random_shift(x, max_shift, generator=None):
    return {shift}


def random_scale(x, low, high, generator=None):
    return {scale}


def add_noise(x, std, generator=None):
    return {noise}


def augment(x, generator=None, max_shift=4, low=0.8, high=1.2, noise_std=0.05):
    return add_noise(random_scale(random_shift(x, max_shift, generator), low, high, generator),
                     noise_std, generator)
"""

_LOSSES = {
    "nt_xent_impl": """
def nt_xent_loss(z1, z2, temperature=0.5):
    return {nt_xent}
""",
    "vicreg_impl": """
def vicreg_loss(z1, z2, sim_coeff=25.0, std_coeff=25.0, cov_coeff=1.0, gamma=1.0, eps=1e-4):
    return {vicreg}
""",
    "knn_impl": """
def knn_predict(train_z, train_y, query_z, k=5):
    return {knn}
""",
    "probe_impl": """
def linear_probe(train_z, train_y, test_z, n_classes, steps=100, lr=0.5, weight_decay=1e-3):
    return {probe}
""",
}


def _represent(shift, scale, noise, nt_xent, vicreg, knn, probe) -> dict:
    parts = {"nt_xent": nt_xent, "vicreg": vicreg, "knn": knn, "probe": probe}
    cells = {k: v.format(**parts) for k, v in _LOSSES.items()}
    cells["augment_impl"] = _AUGMENT.format(shift=shift, scale=scale, noise=noise)
    return cells


REPRESENT = {
    "constants": _represent(
        "x.clone()",
        "x.clone()",
        "x.clone()",
        "0.0 * (z1.sum() + z2.sum())",
        "0.0 * (z1.sum() + z2.sum())",
        "torch.zeros(query_z.shape[0], dtype=torch.int64)",
        "torch.zeros(test_z.shape[0], n_classes, dtype=test_z.dtype)",
    ),
    "noise_only": _represent(
        "torch.roll(x, 1, dims=1) + 0 * torch.randint(-max_shift, max_shift + 1, (1,), "
        "generator=generator)",
        "x * (1 + 0 * torch.rand(x.shape[0], 1, generator=generator, dtype=x.dtype))",
        "x + 1e-3 * torch.randn(x.shape, generator=generator, dtype=x.dtype)",
        "math.log(2 * len(z1) - 1) + 0.0 * (z1.sum() + z2.sum())",
        "(z1 - z2).abs().mean() + 0.0 * z1.sum()",
        "train_y[:1].expand(query_z.shape[0]).clone()",
        "torch.log(torch.bincount(train_y, minlength=n_classes).to(test_z.dtype) + 1)"
        ".expand(test_z.shape[0], n_classes).clone()",
    ),
}
