"""Correct, another style: math.floor shapes cast to int, rings from one (n, 5) draw with where, one-hot Dice via einsum, padding by copying into a zero tensor, freezing through named_parameters."""

KIND = "correct"
CELLS = {
    "shapes_impl": '''
def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution along one dimension (an int)."""
    return int(math.floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride)) + 1


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1):
    """Output length of max pooling along one dimension (stride None means stride = kernel_size)."""
    return conv_output_size(size, kernel_size, stride or kernel_size, padding, dilation)


def conv_transpose_output_size(
    size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1
):
    """Output length of a transposed convolution along one dimension (an int)."""
    out = size - 1
    out *= stride
    out -= 2 * padding
    out += dilation * (kernel_size - 1)
    return int(out + output_padding + 1)
''',
    "rings_impl": '''
def make_rings(n, size, generator=None):
    """n noisy ring images (n, 1, size, size), their myocardium masks and their (n, 5) parameters."""
    noise = torch.randn(n, 1, size, size, generator=generator)
    u = torch.rand(n, 5, generator=generator)
    scale = torch.tensor([size, size, size, size, 1.0])
    low = torch.tensor([0.4, 0.4, 0.12, 0.08, 0.05]) * scale
    width = torch.tensor([0.2, 0.2, 0.1, 0.06, 0.15]) * scale
    params = (low + width * u).to(torch.float32)
    coords = torch.arange(size, dtype=torch.float32)
    dy = coords[None, :, None] - params[:, 0, None, None]
    dx = coords[None, None, :] - params[:, 1, None, None]
    rho = (dy * dy + dx * dx).sqrt()[:, None]
    r = params[:, 2].view(n, 1, 1, 1)
    t = params[:, 3].view(n, 1, 1, 1)
    myo = torch.where((rho >= r) & (rho < r + t), 1.0, 0.0)
    clean = torch.where(rho < r, 1.0, 0.5 * myo)
    images = clean + params[:, 4].view(n, 1, 1, 1) * noise
    return images.float(), myo.float(), params
''',
    "dice_impl": '''
def dice_score(pred, target):
    """Hard Dice per image: (N, ...) binary masks -> (N,) floats; 1 where both masks are empty."""
    a = pred.reshape(pred.shape[0], -1).double()
    b = target.reshape(target.shape[0], -1).double()
    inter = torch.einsum("ni,ni->n", a, b)
    size = a.sum(-1) + b.sum(-1)
    dice = 2 * inter / size.clamp(min=1e-12)
    return torch.where(size == 0, torch.ones_like(dice), dice).float()


def soft_dice_loss(logits, target, smooth=1.0):
    """1 - mean over images of (2 sum(p*y) + smooth) / (sum(p) + sum(y) + smooth), p = sigmoid(logits)."""
    n = logits.shape[0]
    p = (1 / (1 + torch.exp(-logits))).reshape(n, -1)
    y = target.reshape(n, -1).type_as(p)
    inter = torch.einsum("ni,ni->n", p, y)
    score = (2 * inter + smooth) / (p.sum(-1) + y.sum(-1) + smooth)
    return (1 - score).sum() / n
''',
    "unet_impl": '''
class UNet(nn.Module):
    """U-Net with `depth` poolings, channel widths base * 2**level, zero-padded skips for odd sizes."""

    def __init__(self, in_channels=1, out_channels=1, base=8, depth=2):
        super().__init__()
        c = lambda level: base << level
        self.enc = nn.ModuleList()
        for level in range(depth):
            self.enc.append(double_conv(c(level - 1) if level else in_channels, c(level)))
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottleneck = double_conv(c(depth - 1), c(depth))
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for level in range(depth - 1, -1, -1):
            self.up.append(nn.ConvTranspose2d(c(level + 1), c(level), 2, 2))
            self.dec.append(double_conv(2 * c(level), c(level)))
        self.head = nn.Conv2d(base, out_channels, 1)

    def forward(self, x):
        """x: (N, in_channels, H, W) -> logits (N, out_channels, H, W)."""
        skips = []
        for block in self.enc:
            x = block(x)
            skips.insert(0, x)
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)
        for up, dec, skip in zip(self.up, self.dec, skips):
            u = up(x)
            full = u.new_zeros(u.shape[0], u.shape[1], skip.shape[2], skip.shape[3])
            full[:, :, : u.shape[2], : u.shape[3]] = u
            x = dec(torch.cat([skip, full], 1))
        return self.head(x)
''',
    "train_impl": '''
def train_segmenter(model, images, masks, steps, lr, batch_size, generator=None):
    """Adam on soft_dice_loss over random batches; returns the list of per-step losses (floats)."""
    optimizer = torch.optim.Adam(model.parameters(), lr)
    n = images.shape[0]
    draws = [torch.randint(0, n, (batch_size,), generator=generator) for _ in range(steps)]
    losses = []
    for idx in draws:
        idx = idx.to(images.device)
        optimizer.zero_grad()
        loss = soft_dice_loss(model(images[idx]), masks[idx], smooth=1.0)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
''',
    "transfer_impl": '''
def freeze_features(model):
    """Freeze model.features, make model.head trainable; returns model (modified in place)."""
    for name, p in model.named_parameters():
        p.requires_grad = name.startswith("head.")
    return model


def make_finetune_model(pretrained, n_classes):
    """A deep copy of `pretrained` with a fresh nn.Linear head for n_classes and frozen features."""
    model = copy.deepcopy(pretrained)
    in_features = model.head.weight.shape[1]
    model.head = nn.Linear(in_features, n_classes)
    return freeze_features(model)
''',
}
