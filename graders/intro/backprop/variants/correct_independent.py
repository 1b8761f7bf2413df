"""Correct, written from the student text alone: a per-pixel loop convolution, a loop
over the pooling windows' four positions with argmax, dict caches, torch.randn then .to."""

KIND = "correct"
CELLS = {
    "linear_impl": '''
def linear_forward(x, W, b):
    """x (N, D_in), W (D_out, D_in), b (D_out,) -> (out (N, D_out), cache)."""
    y = torch.matmul(x, W.t()) + b
    return y, {"x": x, "W": W}


def linear_backward(grad_out, cache):
    """grad_out (N, D_out) -> (dx (N, D_in), dW (D_out, D_in), db (D_out,))."""
    dx = torch.matmul(grad_out, cache["W"])
    dW = torch.matmul(grad_out.t(), cache["x"])
    db = torch.sum(grad_out, 0)
    return dx, dW, db
''',
    "relu_impl": '''
def relu_forward(x):
    """Elementwise max(x, 0) for any shape -> (out, cache)."""
    out = torch.maximum(x, torch.zeros_like(x))
    return out, {"positive": (x > 0)}


def relu_backward(grad_out, cache):
    """grad_out shaped like x -> dx; the derivative at exactly 0 is 0."""
    dx = grad_out.clone()
    dx[~cache["positive"]] = 0
    return dx
''',
    "softmax_ce_impl": '''
def softmax_ce_forward(logits, y):
    """logits (N, K), y (N,) int64 -> (loss (0-dim, mean over N), cache)."""
    N = logits.shape[0]
    z = logits - torch.max(logits, dim=1, keepdim=True).values
    p = torch.exp(z)
    p = p / torch.sum(p, dim=1, keepdim=True)
    correct = z[range(N), y] - torch.log(torch.sum(torch.exp(z), dim=1))
    loss = -torch.sum(correct) / N
    return loss, {"p": p, "y": y}


def softmax_ce_backward(grad_out, cache):
    """grad_out 0-dim -> dlogits (N, K)."""
    p, y = cache["p"], cache["y"]
    N = p.shape[0]
    d = p.clone()
    for n in range(N):
        d[n, y[n]] = d[n, y[n]] - 1
    return d / N * grad_out
''',
    "conv2d_impl": '''
def conv2d_forward(x, W, b, padding=0):
    """x (N, C, H, W), W (F, C, kH, kW), b (F,), stride 1, zero padding `padding` on every side.

    Returns (out (N, F, H + 2p - kH + 1, W + 2p - kW + 1), cache).
    """
    N, C, H, Wd = x.shape
    Fn, _, kH, kW = W.shape
    xp = F.pad(x, [padding, padding, padding, padding])
    Ho = H + 2 * padding - kH + 1
    Wo = Wd + 2 * padding - kW + 1
    out = torch.zeros(N, Fn, Ho, Wo, dtype=x.dtype, device=x.device)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i : i + kH, j : j + kW]  # (N, C, kH, kW)
            out[:, :, i, j] = torch.tensordot(patch, W, dims=([1, 2, 3], [1, 2, 3])) + b
    cache = {"x": x, "W": W, "padding": padding}
    return out, cache


def conv2d_backward(grad_out, cache):
    """grad_out (N, F, H', W') -> (dx (N, C, H, W), dW (F, C, kH, kW), db (F,))."""
    x, W, padding = cache["x"], cache["W"], cache["padding"]
    N, C, H, Wd = x.shape
    Fn, _, kH, kW = W.shape
    Ho, Wo = grad_out.shape[2], grad_out.shape[3]
    xp = F.pad(x, [padding, padding, padding, padding])
    dxp = torch.zeros_like(xp)
    dW = torch.zeros_like(W)
    for i in range(Ho):
        for j in range(Wo):
            g = grad_out[:, :, i, j]  # (N, F)
            patch = xp[:, :, i : i + kH, j : j + kW]
            dW += torch.tensordot(g, patch, dims=([0], [0]))
            dxp[:, :, i : i + kH, j : j + kW] += torch.tensordot(g, W, dims=([1], [0]))
    db = grad_out.sum(dim=[0, 2, 3])
    dx = dxp[:, :, padding : padding + H, padding : padding + Wd]
    return dx, dW, db
''',
    "maxpool_impl": '''
def maxpool2x2_forward(x):
    """x (N, C, H, W) with H, W even -> (out (N, C, H/2, W/2), cache)."""
    a = x[:, :, ::2, ::2]
    b = x[:, :, ::2, 1::2]
    c = x[:, :, 1::2, ::2]
    d = x[:, :, 1::2, 1::2]
    stacked = torch.stack([a, b, c, d], dim=-1)
    pos = torch.argmax(stacked, dim=-1)
    out = torch.amax(stacked, dim=-1)
    return out, {"pos": pos, "shape": x.shape}


def maxpool2x2_backward(grad_out, cache):
    """grad_out (N, C, H/2, W/2) -> dx (N, C, H, W); ties go to the first maximum (row-major)."""
    pos = cache["pos"]
    dx = torch.zeros(cache["shape"], dtype=grad_out.dtype, device=grad_out.device)
    dx[:, :, ::2, ::2] = grad_out * (pos == 0)
    dx[:, :, ::2, 1::2] = grad_out * (pos == 1)
    dx[:, :, 1::2, ::2] = grad_out * (pos == 2)
    dx[:, :, 1::2, 1::2] = grad_out * (pos == 3)
    return dx
''',
    "cnn_impl": '''
def cnn_loss_and_grads(params, x, y):
    """conv3x3(pad 1) -> ReLU -> maxpool 2x2 -> flatten -> linear -> softmax CE.

    params: {"W1": (C1, 1, 3, 3), "b1": (C1,), "W2": (10, 16*C1), "b2": (10,)}; x (N, 1, 8, 8), y (N,).
    Returns (loss 0-dim, grads dict with the keys and shapes of params).
    """
    N = x.shape[0]
    out1, cache1 = conv2d_forward(x, params["W1"], params["b1"], padding=1)
    out2, cache2 = relu_forward(out1)
    out3, cache3 = maxpool2x2_forward(out2)
    out4, cache4 = linear_forward(out3.reshape(N, -1), params["W2"], params["b2"])
    loss, cache5 = softmax_ce_forward(out4, y)
    d4 = softmax_ce_backward(torch.tensor(1.0, dtype=x.dtype, device=x.device), cache5)
    d3, dW2, db2 = linear_backward(d4, cache4)
    d2 = maxpool2x2_backward(d3.reshape(out3.shape), cache3)
    d1 = relu_backward(d2, cache2)
    dx, dW1, db1 = conv2d_backward(d1, cache1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(params, grads, lr):
    """A new dict {name: params[name] - lr * grads[name]}; params is not modified."""
    new_params = {}
    for key in params.keys():
        new_params[key] = params[key] - lr * grads[key]
    return new_params
''',
    "mf_impl": '''
def mf_loss(X, U, V):
    """0.5 * ||X - U V^T||_F^2 as a 0-dim tensor; X (m, n), U (m, k), V (n, k)."""
    return 0.5 * torch.linalg.norm(X - U @ V.T) ** 2


def mf_grads(X, U, V):
    """(dL/dU (m, k), dL/dV (n, k)) of mf_loss."""
    R = U @ V.T - X
    dU = R @ V
    dV = R.T @ U
    return dU, dV


def factorize(X, k, steps, lr, generator=None):
    """Gradient descent on mf_loss from U, V = 0.1 * randn (U drawn first); returns (U (m, k), V (n, k))."""
    m, n = X.shape
    U = torch.randn(m, k, generator=generator, dtype=X.dtype).to(X.device) * 0.1
    V = torch.randn(n, k, generator=generator, dtype=X.dtype).to(X.device) * 0.1
    for t in range(steps):
        dU, dV = mf_grads(X, U, V)
        U_new = U - lr * dU
        V_new = V - lr * dV
        U, V = U_new, V_new
    return U, V
''',
}
