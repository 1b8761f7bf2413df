"""Reference scores on the hidden split, computed on the trusted side, deterministically.

* ``random encoder``: a freshly initialised `small` encoder (seed :data:`SEED`); the floor
  a submission must beat;
* ``raw inputs``: the 40 samples of each signal as features;
* ``PCA``: the first :data:`PCA_COMPONENTS` principal components of the raw signals,
  fitted on the public unlabelled pool (an unsupervised linear baseline);
* ``supervised encoder``: a `small` encoder trained here with cross-entropy (a linear head
  on its embeddings) on the probe split's labels, seed :data:`SEED`, a few seconds on one
  thread; an upper reference (it is trained on the labels the probe uses).

The encoders are the platform's own, so their embeddings are computed in this process
with the same loading code the sandbox runs (`evaluate.sandbox_embed`); every feature set
is scored by `evaluate.score_embeddings`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from dlgrade.compete import arch, data
from dlgrade.compete.evaluate import HiddenSplit, Scores, sandbox_embed, score_embeddings
from dlgrade.compete.weights import save_encoder

SEED = 0
PCA_COMPONENTS = 16
SUPERVISED_SIZE = "small"
SUPERVISED_EPOCHS = 30
SUPERVISED_BATCH = 100
SUPERVISED_LR = 3e-3


def _scores(probe: np.ndarray, test: np.ndarray, hidden: HiddenSplit, n_params: int, t0: float):
    found = score_embeddings(probe, hidden.probe_y, test, hidden.test_y, hidden.public)
    return Scores(*found, n_params=n_params, eval_seconds=round(time.monotonic() - t0, 3))


def _encoder_scores(encoder, size: str, hidden: HiddenSplit, t0: float) -> Scores:
    weights = np.frombuffer(save_encoder(encoder), dtype=np.uint8)
    probe = sandbox_embed(size, weights, hidden.probe_x)
    test = sandbox_embed(size, weights, hidden.test_x)
    return _scores(probe, test, hidden, arch.parameter_count(size), t0)


@contextmanager
def seeded_one_thread(seed: int) -> Iterator[None]:
    """Torch on one thread with its global generator seeded, both put back afterwards:
    the same model for the same seed, whatever the caller's state."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


def random_encoder(size: str = "small", seed: int = SEED):
    """A freshly initialised encoder of `size`, the same for the same seed (the global
    torch generator is left as it was)."""
    with seeded_one_thread(seed):
        return arch.build_encoder(size)


def supervised_encoder(x: np.ndarray, y: np.ndarray, size: str = SUPERVISED_SIZE, seed: int = SEED):
    """An encoder of `size` trained with a linear head and cross-entropy on (x, y), on
    one torch thread, the same for the same data and seed."""
    import torch
    from torch import nn

    with seeded_one_thread(seed):
        encoder = arch.build_encoder(size)
        head = nn.Linear(arch.EMBED_DIM, data.N_CLASSES)
        params = [*encoder.parameters(), *head.parameters()]
        optimizer = torch.optim.Adam(params, lr=SUPERVISED_LR)
        xs = torch.from_numpy(np.array(x, dtype=np.float32))
        ys = torch.from_numpy(np.array(y, dtype=np.int64))
        generator = torch.Generator().manual_seed(seed)
        for _ in range(SUPERVISED_EPOCHS):
            order = torch.randperm(len(xs), generator=generator)
            for i in range(0, len(xs), SUPERVISED_BATCH):
                batch = order[i : i + SUPERVISED_BATCH]
                loss = nn.functional.cross_entropy(head(encoder(xs[batch])), ys[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return encoder.eval()


def baseline_scores(hidden: HiddenSplit) -> dict[str, Scores]:
    """The reference scores of the four baselines on `hidden` (deterministic)."""
    from sklearn.decomposition import PCA

    out: dict[str, Scores] = {}
    t0 = time.monotonic()
    out["random encoder"] = _encoder_scores(random_encoder("small"), "small", hidden, t0)
    t0 = time.monotonic()
    out["raw inputs"] = _scores(hidden.probe_x, hidden.test_x, hidden, 0, t0)
    t0 = time.monotonic()
    pca = PCA(n_components=PCA_COMPONENTS, svd_solver="full").fit(data.unlabelled_pool())
    out["PCA"] = _scores(pca.transform(hidden.probe_x), pca.transform(hidden.test_x), hidden, 0, t0)
    t0 = time.monotonic()
    encoder = supervised_encoder(hidden.probe_x, hidden.probe_y)
    out["supervised encoder"] = _encoder_scores(encoder, SUPERVISED_SIZE, hidden, t0)
    return out
