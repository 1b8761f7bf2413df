"""The competition's data: mnist1d signals (Greydanus, 2020), generated offline.

`mnist1d.data.make_dataset` draws signals from ten fixed templates with a seed; nothing is
downloaded. The unlabelled pool and the labelled dev split have public seeds; the hidden
split's seed is in `graders/represent/competition.json` only, read on the trusted side.
"""

from __future__ import annotations

import random

import numpy as np
from mnist1d.data import get_dataset_args, make_dataset

N_CLASSES = 10
POOL_SEED = 2024
DEV_SEED = 7


def make_split(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` signals (float32, shape (n, 40)) and labels (int64), the same for the same seed."""
    args = get_dataset_args()
    args.num_samples = n
    args.train_split = 1.0
    args.seed = seed
    saved = random.getstate(), np.random.get_state()
    try:  # make_dataset seeds the global generators; put them back
        data = make_dataset(args)
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
    return data["x"].astype(np.float32), data["y"].astype(np.int64)


def unlabelled_pool(n: int = 4000) -> np.ndarray:
    """The training pool: signals without labels."""
    return make_split(POOL_SEED, n)[0]


def dev_split(n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """A small labelled split for evaluating locally (never the hidden one)."""
    return make_split(DEV_SEED, n)
