"""Correct, written from the student text alone: math-style shapes, meshgrid rings, sum-over-dims Dice, a U-Net built level by level with explicit cropping arithmetic, requires_grad_ on submodules."""

KIND = "correct"
CELLS = {
    "shapes_impl": '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution along one dimension (an int)."""
    span = dilation * (kernel_size - 1) + 1
    return (size + 2 * padding - span) // stride + 1


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1):
    """Output length of max pooling along one dimension (stride None means stride = kernel_size)."""
    s = kernel_size if stride is None else stride
    span = dilation * (kernel_size - 1) + 1
    return (size + 2 * padding - span) // s + 1


def conv_transpose_output_size(
    size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1
):
    """Output length of a transposed convolution along one dimension (an int)."""
    span = dilation * (kernel_size - 1) + 1
    return (size - 1) * stride + span - 2 * padding + output_padding
''',
    "rings_impl": '''
def make_rings(n, size, generator=None):
    """n noisy ring images (n, 1, size, size), their myocardium masks and their (n, 5) parameters."""
    def uniform(lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=generator)

    cy = uniform(0.4 * size, 0.6 * size)
    cx = uniform(0.4 * size, 0.6 * size)
    r = uniform(0.12 * size, 0.22 * size)
    t = uniform(0.08 * size, 0.14 * size)
    sigma = uniform(0.05, 0.2)
    ii, jj = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    ii = ii.float()[None]
    jj = jj.float()[None]
    rho = torch.hypot(ii - cy[:, None, None], jj - cx[:, None, None])
    inner = r[:, None, None]
    outer = inner + t[:, None, None]
    pool = (rho < inner).float()
    myo = ((rho >= inner) & (rho < outer)).float()
    eps = torch.randn((n, 1, size, size), generator=generator)
    images = (pool + 0.5 * myo)[:, None] + sigma.view(n, 1, 1, 1) * eps
    params = torch.stack([cy, cx, r, t, sigma], dim=1)
    return images, myo[:, None], params
''',
    "dice_impl": '''
def dice_score(pred, target):
    """Hard Dice per image: (N, ...) binary masks -> (N,) floats; 1 where both masks are empty."""
    dims = tuple(range(1, pred.dim()))
    a = pred.to(torch.float32)
    b = target.to(torch.float32)
    num = 2 * (a * b).sum(dim=dims)
    den = a.sum(dim=dims) + b.sum(dim=dims)
    out = torch.ones_like(den)
    nonempty = den > 0
    out[nonempty] = num[nonempty] / den[nonempty]
    return out


def soft_dice_loss(logits, target, smooth=1.0):
    """1 - mean over images of (2 sum(p*y) + smooth) / (sum(p) + sum(y) + smooth), p = sigmoid(logits)."""
    dims = tuple(range(1, logits.dim()))
    p = torch.sigmoid(logits)
    y = target.to(logits.dtype)
    per_image = (2 * (p * y).sum(dim=dims) + smooth) / (p.sum(dim=dims) + y.sum(dim=dims) + smooth)
    return 1 - per_image.mean()
''',
    "unet_impl": '''
class UNet(nn.Module):
    """U-Net with `depth` poolings, channel widths base * 2**level, zero-padded skips for odd sizes."""

    def __init__(self, in_channels=1, out_channels=1, base=8, depth=2):
        super().__init__()
        widths = [base * (2 ** l) for l in range(depth + 1)]
        enc = []
        prev = in_channels
        for l in range(depth):
            enc.append(double_conv(prev, widths[l]))
            prev = widths[l]
        self.enc = nn.ModuleList(enc)
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(widths[depth - 1], widths[depth])
        ups, decs = [], []
        for i in range(depth):
            l = depth - 1 - i
            ups.append(nn.ConvTranspose2d(widths[l + 1], widths[l], kernel_size=2, stride=2))
            decs.append(double_conv(2 * widths[l], widths[l]))
        self.up = nn.ModuleList(ups)
        self.dec = nn.ModuleList(decs)
        self.head = nn.Conv2d(base, out_channels, kernel_size=1)

    def forward(self, x):
        """x: (N, in_channels, H, W) -> logits (N, out_channels, H, W)."""
        skips = []
        h = x
        for block in self.enc:
            h = block(h)
            skips.append(h)
            h = self.pool(h)
        h = self.bottleneck(h)
        for i in range(len(self.up)):
            s = skips[len(skips) - 1 - i]
            u = self.up[i](h)
            dH = s.size(2) - u.size(2)
            dW = s.size(3) - u.size(3)
            if dH or dW:
                u = F.pad(u, (0, dW, 0, dH))
            h = self.dec[i](torch.cat((s, u), dim=1))
        return self.head(h)
''',
    "train_impl": '''
def train_segmenter(model, images, masks, steps, lr, batch_size, generator=None):
    """Adam on soft_dice_loss over random batches; returns the list of per-step losses (floats)."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for step in range(steps):
        idx = torch.randint(0, len(images), (batch_size,), generator=generator)
        idx = idx.to(images.device)
        logits = model(images[idx])
        loss = soft_dice_loss(logits, masks[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        history.append(float(loss.detach()))
    return history
''',
    "transfer_impl": '''
def freeze_features(model):
    """Freeze model.features, make model.head trainable; returns model (modified in place)."""
    model.features.requires_grad_(False)
    model.head.requires_grad_(True)
    return model


def make_finetune_model(pretrained, n_classes):
    """A deep copy of `pretrained` with a fresh nn.Linear head for n_classes and frozen features."""
    new = copy.deepcopy(pretrained)
    new.head = nn.Linear(new.head.in_features, n_classes)
    freeze_features(new)
    return new
''',
}
