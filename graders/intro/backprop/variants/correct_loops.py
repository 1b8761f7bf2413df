"""Correct: loops over the kernel offsets with slices (no unfold), max-pooling by four
strided slices and strict comparisons, the softmax through log-sum-exp, torch.where ReLU."""

KIND = "correct"
CELLS = {
    "linear_impl": '''
def linear_forward(x, W, b):
    """x (N, D_in), W (D_out, D_in), b (D_out,) -> (out (N, D_out), cache)."""
    return torch.einsum("ni,ki->nk", x, W) + b[None, :], {"x": x, "W": W}


def linear_backward(grad_out, cache):
    """grad_out (N, D_out) -> (dx (N, D_in), dW (D_out, D_in), db (D_out,))."""
    x, W = cache["x"], cache["W"]
    return (
        torch.einsum("nk,ki->ni", grad_out, W),
        torch.einsum("nk,ni->ki", grad_out, x),
        torch.einsum("nk->k", grad_out),
    )
''',
    "relu_impl": '''
def relu_forward(x):
    """Elementwise max(x, 0) for any shape -> (out, cache)."""
    mask = x > 0
    return torch.where(mask, x, torch.zeros_like(x)), mask


def relu_backward(grad_out, cache):
    """grad_out shaped like x -> dx; the derivative at exactly 0 is 0."""
    return torch.where(cache, grad_out, torch.zeros_like(grad_out))
''',
    "softmax_ce_impl": '''
def softmax_ce_forward(logits, y):
    """logits (N, K), y (N,) int64 -> (loss (0-dim, mean over N), cache)."""
    m = logits.amax(dim=1, keepdim=True)
    lse = m + torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
    picked = logits.gather(1, y.view(-1, 1))
    loss = (lse - picked).mean()
    probs = torch.exp(logits - lse)
    return loss, (probs, y)


def softmax_ce_backward(grad_out, cache):
    """grad_out 0-dim -> dlogits (N, K)."""
    probs, y = cache
    onehot = torch.zeros_like(probs)
    onehot.scatter_(1, y.view(-1, 1), 1.0)
    return grad_out * (probs - onehot) / probs.shape[0]
''',
    "conv2d_impl": '''
def conv2d_forward(x, W, b, padding=0):
    """x (N, C, H, W), W (F, C, kH, kW), b (F,), stride 1, zero padding `padding` on every side.

    Returns (out (N, F, H + 2p - kH + 1, W + 2p - kW + 1), cache).
    """
    n, c, h, w = x.shape
    f, _, kh, kw = W.shape
    p = padding
    xp = torch.zeros(n, c, h + 2 * p, w + 2 * p, dtype=x.dtype, device=x.device)
    xp[:, :, p : p + h, p : p + w] = x
    ho, wo = h + 2 * p - kh + 1, w + 2 * p - kw + 1
    out = b.reshape(1, f, 1, 1).expand(n, f, ho, wo).clone()
    for a in range(kh):
        for d in range(kw):
            window = xp[:, :, a : a + ho, d : d + wo]  # (N, C, H', W')
            out += torch.einsum("nchw,fc->nfhw", window, W[:, :, a, d])
    return out, (xp, W, p, h, w)


def conv2d_backward(grad_out, cache):
    """grad_out (N, F, H', W') -> (dx (N, C, H, W), dW (F, C, kH, kW), db (F,))."""
    xp, W, p, h, w = cache
    kh, kw = W.shape[2], W.shape[3]
    ho, wo = grad_out.shape[2], grad_out.shape[3]
    dxp = torch.zeros_like(xp)
    dW = torch.zeros_like(W)
    for a in range(kh):
        for d in range(kw):
            window = xp[:, :, a : a + ho, d : d + wo]
            dW[:, :, a, d] = torch.einsum("nfhw,nchw->fc", grad_out, window)
            dxp[:, :, a : a + ho, d : d + wo] += torch.einsum("nfhw,fc->nchw", grad_out, W[:, :, a, d])
    db = grad_out.sum(dim=3).sum(dim=2).sum(dim=0)
    return dxp[:, :, p : p + h, p : p + w], dW, db
''',
    "maxpool_impl": '''
def maxpool2x2_forward(x):
    """x (N, C, H, W) with H, W even -> (out (N, C, H/2, W/2), cache)."""
    parts = [x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]]
    best = parts[0]
    which = torch.zeros_like(best, dtype=torch.long)
    for k in range(1, 4):
        better = parts[k] > best  # strict: ties stay with the earlier entry
        best = torch.where(better, parts[k], best)
        which = torch.where(better, torch.full_like(which, k), which)
    return best, (which, x.shape)


def maxpool2x2_backward(grad_out, cache):
    """grad_out (N, C, H/2, W/2) -> dx (N, C, H, W); ties go to the first maximum (row-major)."""
    which, shape = cache
    dx = torch.zeros(shape, dtype=grad_out.dtype, device=grad_out.device)
    zero = torch.zeros_like(grad_out)
    dx[:, :, 0::2, 0::2] = torch.where(which == 0, grad_out, zero)
    dx[:, :, 0::2, 1::2] = torch.where(which == 1, grad_out, zero)
    dx[:, :, 1::2, 0::2] = torch.where(which == 2, grad_out, zero)
    dx[:, :, 1::2, 1::2] = torch.where(which == 3, grad_out, zero)
    return dx
''',
    "mf_impl": '''
def mf_loss(X, U, V):
    """0.5 * ||X - U V^T||_F^2 as a 0-dim tensor; X (m, n), U (m, k), V (n, k)."""
    return 0.5 * torch.sum((torch.einsum("ik,jk->ij", U, V) - X) ** 2)


def mf_grads(X, U, V):
    """(dL/dU (m, k), dL/dV (n, k)) of mf_loss."""
    R = torch.einsum("ik,jk->ij", U, V) - X
    return torch.einsum("ij,jk->ik", R, V), torch.einsum("ij,ik->jk", R, U)


def factorize(X, k, steps, lr, generator=None):
    """Gradient descent on mf_loss from U, V = 0.1 * randn (U drawn first); returns (U (m, k), V (n, k))."""
    U = (0.1 * torch.randn(X.shape[0], k, generator=generator, dtype=X.dtype)).to(X.device)
    V = (0.1 * torch.randn(X.shape[1], k, generator=generator, dtype=X.dtype)).to(X.device)
    for step in range(steps):
        grad_U, grad_V = mf_grads(X, U, V)
        U = U - lr * grad_U
        V = V - lr * grad_V
    return U, V
''',
}
