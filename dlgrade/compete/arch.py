"""The competition's architecture family: a small 1-D CNN encoder in a few sizes.

Students train an `Encoder` of one of `SIZES` and submit its weights; the trusted side
builds its own copy with `build_encoder(size)` and loads the weights into it, so the
architecture is never taken from a submission.
"""

from __future__ import annotations

import torch
from torch import nn

SIGNAL_LEN = 40
EMBED_DIM = 64
SIZES: dict[str, int] = {"small": 16, "medium": 32, "large": 64}
"""Size name -> width (channels of the first convolution)."""


class Encoder(nn.Module):
    """(batch, 40) signals -> (batch, EMBED_DIM) embeddings."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, width, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(width, width, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv1d(width, 2 * width, kernel_size=3, stride=2, padding=1)
        self.fc = nn.Linear(2 * width * (SIGNAL_LEN // 4), EMBED_DIM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.conv1(x.unsqueeze(1)))
        h = torch.relu(self.conv2(h))
        h = torch.relu(self.conv3(h))
        return self.fc(h.flatten(1))


def build_encoder(size: str) -> Encoder:
    """A freshly initialised encoder of the named size (KeyError names the known ones)."""
    if size not in SIZES:
        raise KeyError(f"unknown encoder size {size!r}; the sizes are {', '.join(SIZES)}")
    return Encoder(SIZES[size])


def expected_state(size: str) -> dict[str, tuple[int, ...]]:
    """Tensor name -> shape of a float32 state dict of the named size."""
    return {name: tuple(t.shape) for name, t in build_encoder(size).state_dict().items()}


def parameter_count(size: str) -> int:
    return sum(p.numel() for p in build_encoder(size).parameters())
