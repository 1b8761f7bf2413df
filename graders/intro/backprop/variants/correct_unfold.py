"""Correct: im2col with F.unfold and col2im with F.fold for the convolution, F.unfold
windows for the pooling, a one-hot matrix for the cross-entropy, in-place SGD on clones."""

KIND = "correct"
CELLS = {
    "softmax_ce_impl": '''
def softmax_ce_forward(logits, y):
    """logits (N, K), y (N,) int64 -> (loss (0-dim, mean over N), cache)."""
    z = logits - logits.max(dim=-1, keepdim=True)[0]
    e = z.exp()
    probs = e / e.sum(dim=-1, keepdim=True)
    onehot = torch.nn.functional.one_hot(y, logits.shape[1]).to(logits.dtype)
    loss = -(onehot * (z - e.sum(dim=-1, keepdim=True).log())).sum() / logits.shape[0]
    return loss, (probs, onehot)


def softmax_ce_backward(grad_out, cache):
    """grad_out 0-dim -> dlogits (N, K)."""
    probs, onehot = cache
    return (probs - onehot) * (grad_out / probs.shape[0])
''',
    "conv2d_impl": '''
def conv2d_forward(x, W, b, padding=0):
    """x (N, C, H, W), W (F, C, kH, kW), b (F,), stride 1, zero padding `padding` on every side.

    Returns (out (N, F, H + 2p - kH + 1, W + 2p - kW + 1), cache).
    """
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    ho, wo = h + 2 * padding - kh + 1, w + 2 * padding - kw + 1
    cols = F.unfold(x, (kh, kw), padding=padding)  # (N, C*kh*kw, L)
    out = W.reshape(f, -1) @ cols + b.reshape(1, f, 1)  # (N, F, L)
    return out.reshape(n, f, ho, wo), (cols, W, (h, w), padding)


def conv2d_backward(grad_out, cache):
    """grad_out (N, F, H', W') -> (dx (N, C, H, W), dW (F, C, kH, kW), db (F,))."""
    cols, W, size, padding = cache
    n, f = grad_out.shape[:2]
    kh, kw = W.shape[2:]
    g = grad_out.reshape(n, f, -1)  # (N, F, L)
    dW = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(W.shape)
    dcols = W.reshape(f, -1).T @ g  # (N, C*kh*kw, L)
    dx = F.fold(dcols, size, (kh, kw), padding=padding)
    db = g.sum(dim=(0, 2))
    return dx, dW, db
''',
    "maxpool_impl": '''
def maxpool2x2_forward(x):
    """x (N, C, H, W) with H, W even -> (out (N, C, H/2, W/2), cache)."""
    n, c, h, w = x.shape
    cols = F.unfold(x.reshape(n * c, 1, h, w), 2, stride=2)  # (N*C, 4, L), row-major windows
    out, idx = cols.max(dim=1)
    first = cols.argmax(dim=1)
    return out.reshape(n, c, h // 2, w // 2), (first, (n, c, h, w))


def maxpool2x2_backward(grad_out, cache):
    """grad_out (N, C, H/2, W/2) -> dx (N, C, H, W); ties go to the first maximum (row-major)."""
    first, (n, c, h, w) = cache
    g = grad_out.reshape(n * c, 1, -1)
    dcols = torch.zeros(n * c, 4, g.shape[-1], dtype=grad_out.dtype, device=grad_out.device)
    dcols.scatter_(1, first.unsqueeze(1), g)
    return F.fold(dcols, (h, w), 2, stride=2).reshape(n, c, h, w)
''',
    "cnn_impl": '''
def cnn_loss_and_grads(params, x, y):
    """conv3x3(pad 1) -> ReLU -> maxpool 2x2 -> flatten -> linear -> softmax CE.

    params: {"W1": (C1, 1, 3, 3), "b1": (C1,), "W2": (10, 16*C1), "b2": (10,)}; x (N, 1, 8, 8), y (N,).
    Returns (loss 0-dim, grads dict with the keys and shapes of params).
    """
    a, conv_cache = conv2d_forward(x, params["W1"], params["b1"], 1)
    r, relu_cache = relu_forward(a)
    p, pool_cache = maxpool2x2_forward(r)
    logits, lin_cache = linear_forward(torch.flatten(p, 1), params["W2"], params["b2"])
    loss, ce_cache = softmax_ce_forward(logits, y)
    grads = {}
    g = softmax_ce_backward(torch.tensor(1.0, dtype=x.dtype), ce_cache)
    g, grads["W2"], grads["b2"] = linear_backward(g, lin_cache)
    g = maxpool2x2_backward(g.view(p.shape), pool_cache)
    g = relu_backward(g, relu_cache)
    _, grads["W1"], grads["b1"] = conv2d_backward(g, conv_cache)
    return loss, grads


def sgd_step(params, grads, lr):
    """A new dict {name: params[name] - lr * grads[name]}; params is not modified."""
    new = {}
    for name in params:
        new[name] = params[name].clone()
        new[name].sub_(lr * grads[name])
    return new
''',
}
