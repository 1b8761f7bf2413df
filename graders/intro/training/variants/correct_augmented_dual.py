"""Correct: KL from a masked log-ratio, NLL through gather and logsumexp of the shifted
logits, ridge through the augmented system with an unpenalised intercept row (and the
dual form when D > N), Vandermonde features, folds from np.array_split and a stratified
splitter built from np.unique's first-appearance order and cumulative allocations."""

KIND = "correct"
CELLS = {
    "information_impl": """
def _plogq(p, q):
    pos = p > 0
    return torch.where(pos, p * torch.log(torch.where(pos, q, torch.ones_like(q))), torch.zeros_like(p))


def entropy(p):
    return -_plogq(p, p).sum(-1)


def cross_entropy(p, q):
    return -_plogq(p, q).sum(-1)


def kl_divergence(p, q):
    pos = p > 0
    ratio = torch.where(pos, p, torch.ones_like(p)) / torch.where(pos, q, torch.ones_like(q))
    return torch.where(pos, p * torch.log(ratio), torch.zeros_like(p)).sum(-1)
""",
    "nll_impl": """
def nll_from_logits(logits, targets):
    shifted = logits - logits.detach().amax(1, keepdim=True)
    log_probs = shifted - torch.logsumexp(shifted, 1, keepdim=True)
    return -log_probs.gather(1, targets.view(-1, 1)).sum() / len(targets)
""",
    "ridge_impl": """
def ridge_loss(w, b, X, y, alpha):
    r = X @ w + b - y
    return r @ r + alpha * w.pow(2).sum()


def ridge_fit(X, y, alpha):
    n, d = X.shape
    if d > n:
        xm, ym = X.mean(0), y.mean()
        Xc = X - xm
        K = Xc @ Xc.T + alpha * torch.eye(n, dtype=X.dtype)
        w = Xc.T @ torch.linalg.solve(K, y - ym)
        return w, ym - xm @ w
    A = torch.cat([X, torch.ones(n, 1, dtype=X.dtype)], dim=1)
    P = alpha * torch.eye(d + 1, dtype=X.dtype)
    P[d, d] = 0.0
    theta = torch.linalg.solve(A.T @ A + P, A.T @ y)
    return theta[:d], theta[d]
""",
    "poly_impl": """
def polynomial_features(x, degree):
    return torch.linalg.vander(x, N=degree + 1)[:, 1:]
""",
    "kfold_impl": """
def kfold_indices(n_samples, n_splits):
    if not 2 <= n_splits <= n_samples:
        raise ValueError(f"cannot make {n_splits} folds of {n_samples} samples")
    idx = np.arange(n_samples)
    return [(np.setdiff1d(idx, v), v) for v in np.array_split(idx, n_splits)]
""",
    "stratified_impl": """
def stratified_kfold_indices(y, n_splits):
    y = np.asarray(y)
    uniq, first, inv = np.unique(y, return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(uniq))
    codes = rank[inv.ravel()]
    counts = np.bincount(codes)
    if n_splits < 2 or counts.max() < n_splits:
        raise ValueError("bad n_splits")
    s = np.sort(codes)
    alloc = np.stack([np.bincount(s[f::n_splits], minlength=len(uniq)) for f in range(n_splits)])
    bounds = np.vstack([np.zeros(len(uniq), dtype=np.int64), np.cumsum(alloc, axis=0)])
    fold = np.empty(len(y), dtype=np.int64)
    for c in range(len(uniq)):
        members = np.flatnonzero(codes == c)
        for f in range(n_splits):
            fold[members[bounds[f, c]:bounds[f + 1, c]]] = f
    idx = np.arange(len(y))
    return [(idx[fold != f], idx[fold == f]) for f in range(n_splits)]
""",
    "cross_val_impl": """
def cross_val_score(make_estimator, X, y, folds):
    def one(train, val):
        est = make_estimator()
        est.fit(X[train], y[train])
        return est.score(X[val], y[val])

    return np.asarray([one(t, v) for t, v in folds], dtype=float)
""",
    "select_impl": """
def select_hyperparameter(make_estimator, candidates, X_dev, y_dev, X_test, y_test, n_splits):
    folds = kfold_indices(X_dev.shape[0], n_splits)
    table = np.array([cross_val_score(lambda h=h: make_estimator(h), X_dev, y_dev, folds) for h in candidates])
    cv_scores = table.mean(axis=1)
    best = candidates[int(np.flatnonzero(cv_scores == cv_scores.max())[0])]
    model = make_estimator(best)
    model.fit(X_dev, y_dev)
    return best, cv_scores, float(model.score(X_test, y_test))
""",
}
