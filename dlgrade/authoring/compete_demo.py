"""A small simulated competition for `dlgrade demo`: a few students submit encoders (one
trained for a few self-supervised steps, a perturbed copy of it, a random one) and broken
files (NaN weights, a pickle, a wrong architecture); they go through the leaderboard's own
upload check (`handlers.accept_upload`), the worker evaluates them in the course's sandbox
backend on the hidden split, the private board is revealed, and the board is written as
static HTML (`<course>/reports/competition/board.html`).
"""

from __future__ import annotations

import io
import logging
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ASSIGNMENT = "represent"
STEPS = 40
SEED = 3


def simclr_encoder(size: str = "small", steps: int = STEPS, seed: int = SEED) -> Any:
    """An encoder trained for `steps` steps of a contrastive loss (two noisy, shifted views
    of each unlabelled signal), on one thread: a few seconds."""
    import torch
    from torch import nn

    from dlgrade.compete import arch, data
    from dlgrade.compete.baselines import seeded_one_thread

    def view(x: torch.Tensor) -> torch.Tensor:
        shift = int(torch.randint(-3, 4, ()).item())
        return torch.roll(x, shift, dims=1) + 0.1 * torch.randn_like(x)

    with seeded_one_thread(seed):
        encoder = arch.build_encoder(size)
        pool = torch.from_numpy(data.unlabelled_pool(2000))
        opt = torch.optim.Adam(encoder.parameters(), lr=3e-3)
        for _ in range(steps):
            x = pool[torch.randint(len(pool), (128,))]
            a = nn.functional.normalize(encoder(view(x)), dim=1)
            b = nn.functional.normalize(encoder(view(x)), dim=1)
            logits = a @ b.T / 0.2
            loss = nn.functional.cross_entropy(logits, torch.arange(len(x)))
            opt.zero_grad()
            loss.backward()
            opt.step()
    return encoder


def perturbed(encoder: Any, scale: float = 0.05, seed: int = SEED) -> Any:
    import copy

    import torch

    out = copy.deepcopy(encoder)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in out.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g) * p.abs().mean())
    return out


def entries() -> list[tuple[str, bytes, dict]]:
    """(student, weights bytes, metadata) of the simulated class, good and bad."""
    import torch

    from dlgrade.compete.baselines import random_encoder
    from dlgrade.compete.weights import save_encoder

    trained = simclr_encoder()
    nan = random_encoder("small", seed=11)
    with torch.no_grad():
        nan.fc.weight[0, 0] = float("nan")
    buffer = io.BytesIO()
    pickle.dump({"fc.weight": np.zeros((2, 2))}, buffer)
    small = {"size": "small", "hyperparams": {"steps": STEPS, "lr": 3e-3, "temperature": 0.2}}
    return [
        ("ada_simclr", save_encoder(trained), small),
        ("ben_perturbed", save_encoder(perturbed(trained)), small),
        ("cem_random", save_encoder(random_encoder("medium", seed=5)), {"size": "medium"}),
        ("ada_simclr", save_encoder(simclr_encoder(steps=2 * STEPS, seed=SEED + 1)), small),
        ("dan_nan", save_encoder(nan), {"size": "small"}),
        ("eve_pickle", buffer.getvalue(), {"size": "small"}),
        ("fay_wrong_size", save_encoder(random_encoder("small")), {"size": "large"}),
    ]


def simulate_competition(paths: Any, backend: str = "local") -> Path | None:
    """Run the simulated competition of the course at `paths`; the static board's path
    (None when the course has no graders/represent/competition.json)."""
    from dlgrade.compete import evaluate, service
    from dlgrade.compete.handlers import accept_upload
    from dlgrade.compete.pages import write_static
    from dlgrade.compete.rules import CompetitionRules
    from dlgrade.compete.store import CompetitionStore
    from dlgrade.compete.worker import Worker

    hidden_path = paths.graders(ASSIGNMENT) / "competition.json"
    if not hidden_path.is_file():
        return None
    started = time.monotonic()
    out = paths.reports("competition")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rules = CompetitionRules(config=paths.config)
    store = CompetitionStore(f"sqlite:///{out / 'competition.sqlite'}", rules)
    store.upgrade()
    hidden = evaluate.load_hidden(hidden_path)
    from dlgrade.compete.__main__ import pin_baselines

    pin_baselines(store, hidden)
    competition = service.Competition(store, rules, frozenset(), course_id="demo")
    answers = []
    for student, data, meta in entries():
        if not store.submissions_of(student):
            store.set_pseudonym(student, f"team-{student.split('_')[0]}")
        status, answer = accept_upload(competition, student, data, meta)
        answers.append((student, status, answer))
        log.info("competition: %s -> %s %s", student, answer["status"], answer.get("reason", ""))
    worker = Worker(store, hidden, backend=backend, paths=paths)
    evaluated = worker.drain()
    store.reveal_private("demo")
    board = write_static(store, out / "board.html", f"Leaderboard — {paths.coursedir.course_id}")
    print(
        f"competition: {len(answers)} uploads ({sum(s == 422 for _, s, _ in answers)} rejected "
        f"at upload), {evaluated} evaluated in {time.monotonic() - started:.0f} s; board: {board}"
    )
    return board
