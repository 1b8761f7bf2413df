"""Correct, loop style: per-image loops for rings and Dice, a recursive U-Net forward, train loop with set_to_none, freezing by module.parameters() loops."""

KIND = "correct"
CELLS = {
    "rings_impl": '''
def make_rings(n, size, generator=None):
    """n noisy ring images (n, 1, size, size), their myocardium masks and their (n, 5) parameters."""
    images = torch.zeros(n, 1, size, size)
    masks = torch.zeros(n, 1, size, size)
    params = torch.zeros(n, 5)
    grid_i = torch.arange(size).float().unsqueeze(1).expand(size, size)
    grid_j = torch.arange(size).float().unsqueeze(0).expand(size, size)
    ranges = [(0.4 * size, 0.6 * size), (0.4 * size, 0.6 * size), (0.12 * size, 0.22 * size),
              (0.08 * size, 0.14 * size), (0.05, 0.2)]
    for m in range(n):
        values = []
        for lo, hi in ranges:
            values.append(lo + (hi - lo) * torch.rand(1, generator=generator).item())
        cy, cx, r, t, sigma = values
        params[m] = torch.tensor(values)
        rho = ((grid_i - params[m, 0]) ** 2 + (grid_j - params[m, 1]) ** 2).sqrt()
        r, t = params[m, 2], params[m, 3]
        myo = (rho >= r) & (rho < r + t)
        clean = torch.zeros(size, size)
        clean[rho < r] = 1.0
        clean[myo] = 0.5
        images[m, 0] = clean + params[m, 4] * torch.randn(size, size, generator=generator)
        masks[m, 0] = myo.float()
    return images, masks, params
''',
    "dice_impl": '''
def dice_score(pred, target):
    """Hard Dice per image: (N, ...) binary masks -> (N,) floats; 1 where both masks are empty."""
    scores = []
    for a, b in zip(pred, target):
        a, b = a.bool(), b.bool()
        total = int(a.sum()) + int(b.sum())
        scores.append(1.0 if total == 0 else 2.0 * int((a & b).sum()) / total)
    return torch.tensor(scores)


def soft_dice_loss(logits, target, smooth=1.0):
    """1 - mean over images of (2 sum(p*y) + smooth) / (sum(p) + sum(y) + smooth), p = sigmoid(logits)."""
    losses = []
    for z, y in zip(logits, target):
        p = torch.sigmoid(z)
        y = y.to(p.dtype)
        losses.append(1 - (2 * (p * y).sum() + smooth) / (p.sum() + y.sum() + smooth))
    return torch.stack(losses).mean()
''',
    "unet_impl": '''
class UNet(nn.Module):
    """U-Net with `depth` poolings, channel widths base * 2**level, zero-padded skips for odd sizes."""

    def __init__(self, in_channels=1, out_channels=1, base=8, depth=2):
        super().__init__()
        self.depth = depth
        self.enc = nn.ModuleList()
        ch = in_channels
        for level in range(depth):
            self.enc.append(double_conv(ch, base * 2**level))
            ch = base * 2**level
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = double_conv(ch, 2 * ch)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        ch = 2 * ch
        for _ in range(depth):
            self.up.append(nn.ConvTranspose2d(ch, ch // 2, kernel_size=2, stride=2))
            self.dec.append(double_conv(ch, ch // 2))
            ch //= 2
        self.head = nn.Conv2d(ch, out_channels, kernel_size=1)

    def _level(self, x, level):
        if level == self.depth:
            return self.bottleneck(x)
        skip = self.enc[level](x)
        deep = self._level(self.pool(skip), level + 1)
        i = self.depth - 1 - level
        u = self.up[i](deep)
        u = F.pad(u, [0, skip.shape[3] - u.shape[3], 0, skip.shape[2] - u.shape[2]], value=0.0)
        return self.dec[i](torch.cat([skip, u], dim=1))

    def forward(self, x):
        """x: (N, in_channels, H, W) -> logits (N, out_channels, H, W)."""
        return self.head(self._level(x, 0))
''',
    "transfer_impl": '''
def freeze_features(model):
    """Freeze model.features, make model.head trainable; returns model (modified in place)."""
    for module, flag in ((model.features, False), (model.head, True)):
        for p in module.parameters():
            p.requires_grad = flag
    return model


def make_finetune_model(pretrained, n_classes):
    """A deep copy of `pretrained` with a fresh nn.Linear head for n_classes and frozen features."""
    features = copy.deepcopy(pretrained.features)
    model = copy.deepcopy(pretrained)
    model.features = features
    model.head = nn.Linear(pretrained.head.in_features, n_classes)
    freeze_features(model)
    return model
''',
}
