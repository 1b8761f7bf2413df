"""Correct: the reference with other but equivalent choices: entropy and KL from xlogy
directly, NLL as one-hot · (logsumexp - logits), ridge with lstsq-free Cholesky,
features by cumulative products, and folds by boolean masks."""

KIND = "correct"
REPLACE = [
    ("information_impl",
     "return cross_entropy(p, q) - entropy(p)",
     "return (torch.special.xlogy(p, p) - torch.special.xlogy(p, q)).sum(-1)"),
    ("information_impl", "return cross_entropy(p, p)", "return -torch.special.xlogy(p, p).sum(-1)"),
    ("nll_impl",
     """    picked = logits.gather(1, targets[:, None]).squeeze(1)
    return (torch.logsumexp(logits, dim=1) - picked).mean()""",
     """    onehot = F.one_hot(targets, logits.shape[1]).to(logits.dtype)
    nll = torch.logsumexp(logits, dim=1, keepdim=True) - logits
    return torch.einsum("nc,nc->", onehot, nll) / logits.shape[0]"""),
    ("ridge_impl",
     "    w = torch.linalg.solve(A, Xc.T @ (y - y_mean))",
     "    L = torch.linalg.cholesky(A)\n"
     "    w = torch.cholesky_solve((Xc.T @ (y - y_mean))[:, None], L)[:, 0]"),
    ("poly_impl",
     "    return torch.stack([x**d for d in range(1, degree + 1)], dim=1)",
     "    return torch.cumprod(x[:, None].expand(-1, degree), dim=1)"),
    ("kfold_impl",
     "        train = np.concatenate([indices[:start], indices[stop:]])",
     "        train = indices[(indices < start) | (indices >= stop)]"),
]  # fmt: skip
