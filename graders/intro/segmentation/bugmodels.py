"""Trusted copies of the reference with a typical mistake switched on.

Only used for diagnoses: the output a defect would produce, so that a failure message
can name it. Expected values always come from `ref` or from PyTorch itself.
"""

import torch
import torch.nn.functional as F

# ---- shapes -------------------------------------------------------------------------


def conv_size(n, k, s=1, p=0, d=1, defect=None):
    if defect == "no_dilation":
        d = 1
    if defect == "one_side":
        return (n + p - d * (k - 1) - 1) // s + 1
    if defect == "no_plus_one":
        return (n + 2 * p - d * (k - 1) - 1) // s
    if defect == "dk":
        return (n + 2 * p - d * k) // s + 1
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv_transpose_size(n, k, s=1, p=0, op=0, d=1, defect=None):
    if defect == "no_output_padding":
        op = 0
    if defect == "no_dilation":
        d = 1
    if defect == "one_side":
        return (n - 1) * s - p + d * (k - 1) + op + 1
    if defect == "ns":
        return n * s - 2 * p + d * (k - 1) + op
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


# ---- Dice ---------------------------------------------------------------------------


def dice(pred, target, defect=None):
    p, t = pred.flatten(1).double(), target.flatten(1).double()
    inter, total = (p * t).sum(1), p.sum(1) + t.sum(1)
    if defect == "pooled":
        value = 2 * inter.sum() / total.sum()
        return value.expand(len(p)).clone()
    if defect == "empty_zero":
        return torch.where(total > 0, 2 * inter / total.clamp_min(1), torch.zeros_like(total))
    if defect == "no_two":
        return torch.where(total > 0, inter / total.clamp_min(1), torch.ones_like(total))
    if defect == "iou":
        union = total - inter
        return torch.where(total > 0, inter / union.clamp_min(1), torch.ones_like(total))
    return None


def soft_dice(logits, target, smooth=1.0, defect=None):
    p = logits if defect == "no_sigmoid" else torch.sigmoid(logits)
    p, t = p.flatten(1), target.flatten(1).to(p.dtype)
    num, p_sum, t_sum = 2 * (p * t).sum(1), p.sum(1), t.sum(1)
    if defect == "squared":
        p_sum, t_sum = (p * p).sum(1), (t * t).sum(1)
    if defect == "pooled":
        d = (num.sum() + smooth) / (p_sum.sum() + t_sum.sum() + smooth)
        return 1 - d
    if defect == "smooth_numerator":
        d = (num + smooth) / (p_sum + t_sum)
    elif defect == "smooth_denominator":
        d = num / (p_sum + t_sum + smooth)
    else:
        d = (num + smooth) / (p_sum + t_sum + smooth)
    if defect == "not_one_minus":
        return d.mean()
    if defect == "sum":
        return (1 - d).sum()
    return 1 - d.mean()


# ---- U-Net wiring -------------------------------------------------------------------


def unet(model, x, defect):
    """The reference model's layers wired with a mistake (model: a trusted ref.UNet)."""
    skips = []
    for enc in model.enc:
        x = enc(x)
        skips.append(x)
        x = model.pool(x)
    x = model.bottleneck(x)
    for up, dec, skip in zip(model.up, model.dec, reversed(skips)):
        x = up(x)
        dh, dw = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
        if defect == "pad_top_left":
            x = F.pad(x, (dw, 0, dh, 0))
        elif defect == "pad_centre":
            x = F.pad(x, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2))
        elif defect == "pad_replicate":
            x = F.pad(x, (0, dw, 0, dh), mode="replicate")
        else:
            x = F.pad(x, (0, dw, 0, dh))
        if defect == "up_first":
            x = dec(torch.cat([x, skip], dim=1))
        else:
            x = dec(torch.cat([skip, x], dim=1))
    if defect == "head_relu":
        return torch.relu(model.head(x))
    if defect == "head_sigmoid":
        return torch.sigmoid(model.head(x))
    return model.head(x)
