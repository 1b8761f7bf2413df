"""Correct: the hidden layers looped, the output layer apart; the MSE as a sum over numel;
nll by a one-hot product; dW stacked row by row."""

KIND = "correct"
REPLACE = [
    (
        "mlp_impl",
        "    h = x\n    for i, (W, b) in enumerate(params):\n        h = h @ W + b\n"
        "        if i < len(params) - 1:\n            h = activation(h)\n    return h",
        "    h = x\n    for W, b in params[:-1]:\n        h = activation(h @ W + b)\n"
        "    W, b = params[-1]\n    return h @ W + b",
    ),
    (
        "fit_impl",
        "loss = ((mlp_forward(params, x, activation) - y) ** 2).mean()",
        "err = mlp_forward(params, x, activation) - y\n        loss = (err * err).sum() / err.numel()",
    ),
    (
        "softmax_impl",
        "return -log_softmax(logits).gather(1, y.unsqueeze(1)).mean()",
        "onehot = (torch.arange(logits.shape[1], device=y.device) == y[:, None]).to(logits.dtype)\n"
        "    return -(onehot * log_softmax(logits)).sum() / logits.shape[0]",
    ),
    (
        "grad_impl",
        "return X.T @ G, G.sum(dim=0)",
        "dW = torch.stack([(X[:, j : j + 1] * G).sum(0) for j in range(X.shape[1])])\n"
        "    return dW, G.sum(dim=0)",
    ),
]
