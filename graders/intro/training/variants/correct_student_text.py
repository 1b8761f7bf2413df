"""Correct: written from the notebook's text alone, as a student would (torch.where masks,
a max-shifted log-sum-exp, an explicit loop of contiguous folds, the stratified
round-robin dealt position by position, a manual best-candidate loop)."""

KIND = "correct"
CELLS = {
    "information_impl": """
def entropy(p):
    terms = torch.where(p > 0, p * torch.log(torch.where(p > 0, p, torch.ones_like(p))), torch.zeros_like(p))
    return -terms.sum(dim=-1)


def cross_entropy(p, q):
    safe_q = torch.where(p > 0, q, torch.ones_like(q))
    terms = torch.where(p > 0, p * torch.log(safe_q), torch.zeros_like(p))
    return -terms.sum(dim=-1)


def kl_divergence(p, q):
    return cross_entropy(p, q) - entropy(p)
""",
    "nll_impl": """
def nll_from_logits(logits, targets):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    correct = logits[torch.arange(logits.shape[0]), targets]
    return torch.mean(lse - correct)
""",
    "ridge_impl": """
def ridge_loss(w, b, X, y, alpha):
    pred = X @ w + b
    return torch.sum((y - pred) ** 2) + alpha * torch.dot(w, w)


def ridge_fit(X, y, alpha):
    n, d = X.shape
    xbar = X.sum(dim=0) / n
    ybar = y.sum() / n
    Xc = X - xbar
    yc = y - ybar
    lhs = Xc.T @ Xc + alpha * torch.eye(d, dtype=X.dtype, device=X.device)
    rhs = Xc.T @ yc
    w = torch.linalg.solve(lhs, rhs)
    b = ybar - torch.dot(xbar, w)
    return w, b
""",
    "poly_impl": """
def polynomial_features(x, degree):
    cols = []
    power = torch.ones_like(x)
    for _ in range(degree):
        power = power * x
        cols.append(power)
    return torch.stack(cols, dim=1)
""",
    "kfold_impl": """
def kfold_indices(n_samples, n_splits):
    if n_splits < 2:
        raise ValueError("n_splits must be at least 2")
    if n_splits > n_samples:
        raise ValueError("n_splits cannot exceed n_samples")
    base = n_samples // n_splits
    extra = n_samples % n_splits
    result = []
    start = 0
    for i in range(n_splits):
        size = base + 1 if i < extra else base
        val = np.arange(start, start + size, dtype=np.int64)
        mask = np.ones(n_samples, dtype=bool)
        mask[val] = False
        train = np.nonzero(mask)[0].astype(np.int64)
        result.append((train, val))
        start += size
    return result
""",
    "stratified_impl": """
def stratified_kfold_indices(y, n_splits):
    y = np.asarray(y)
    classes = []
    code_of = {}
    for label in y.tolist():
        if label not in code_of:
            code_of[label] = len(classes)
            classes.append(label)
    codes = np.array([code_of[label] for label in y.tolist()], dtype=np.int64)
    counts = np.bincount(codes, minlength=len(classes))
    if n_splits < 2:
        raise ValueError("n_splits must be at least 2")
    if n_splits > counts.max():
        raise ValueError("n_splits is larger than every class count")
    s = np.sort(codes)
    alloc = np.zeros((n_splits, len(classes)), dtype=np.int64)
    for j, c in enumerate(s):
        alloc[j % n_splits, c] += 1
    fold_of = np.zeros(len(y), dtype=np.int64)
    for c in range(len(classes)):
        members = np.where(codes == c)[0]
        pos = 0
        for f in range(n_splits):
            fold_of[members[pos:pos + alloc[f, c]]] = f
            pos += alloc[f, c]
    out = []
    for f in range(n_splits):
        out.append((np.where(fold_of != f)[0], np.where(fold_of == f)[0]))
    return out
""",
    "cross_val_impl": """
def cross_val_score(make_estimator, X, y, folds):
    result = np.zeros(len(folds))
    for i, (tr, va) in enumerate(folds):
        model = make_estimator()
        model.fit(X[tr], y[tr])
        result[i] = model.score(X[va], y[va])
    return result
""",
    "select_impl": """
def select_hyperparameter(make_estimator, candidates, X_dev, y_dev, X_test, y_test, n_splits):
    folds = kfold_indices(len(X_dev), n_splits)
    means = []
    best, best_score = None, -np.inf
    for h in candidates:
        def make(h=h):
            return make_estimator(h)
        m = np.mean(cross_val_score(make, X_dev, y_dev, folds))
        means.append(m)
        if m > best_score:
            best, best_score = h, m
    model = make_estimator(best)
    model.fit(X_dev, y_dev)
    test_score = model.score(X_test, y_test)
    return best, np.array(means), test_score
""",
}
