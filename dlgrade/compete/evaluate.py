"""One submission's scores on the hidden split.

1. embed  – the checked weights and the hidden split's *inputs* go into a fresh sandbox of
   the autograder's backend (`SandboxSession`, one torch thread); there the weights are
   read again and loaded into the platform's own `arch.Encoder` (strictly), and the
   forward pass runs. The labels never leave this process.
2. bound  – what comes back must be one float32 array of exactly (n, EMBED_DIM), finite
   and at most :data:`MAX_ABS_EMBEDDING` in magnitude, else `Rejected`.
3. score  – trusted and deterministic, here: a linear probe (multinomial logistic
   regression, scikit-learn's lbfgs with fixed settings, on features standardised with
   the probe split's mean and deviation) fitted on the probe split, and a cosine k-NN
   classifier (k = :data:`KNN_K`) with the probe split as its memory; both scored on the
   public and the private part of the test split.

The sandbox runs no student code: the request calls :func:`sandbox_embed` of this module,
sent as the session's helpers source (the mechanism graders' ``sandbox_helpers.py`` use).
"""

from __future__ import annotations

import atexit
import functools
import json
import math
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from dlgrade.compete import arch
from dlgrade.compete.weights import Checked, Rejected, read_tensors

ASSIGNMENT = "represent"
CONFIG_NAME = "competition.json"
KNN_K = 5
PROBE_C = 1.0
PROBE_MAX_ITER = 500
MAX_ABS_EMBEDDING = 1.0e6
BATCH = 1000
HELPERS = "from dlgrade.compete.evaluate import sandbox_embed as embed\n"
"""The sandbox session's helpers source: trusted code, nothing of the submission."""
REPO = Path(__file__).resolve().parents[2]


class EvaluationFailed(Exception):
    """The sandbox timed out, crashed or did not start: not the submission's score."""


@dataclass(frozen=True)
class Scores:
    probe_public: float
    probe_private: float
    knn_public: float
    knn_private: float
    n_params: int
    eval_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Any) -> Scores:
        """Scores from `to_json`'s dict; ValueError naming the field for anything else."""
        names = [f.name for f in fields(cls)]
        if not isinstance(data, dict) or set(data) != set(names):
            raise ValueError(f"scores must have exactly the keys {', '.join(names)}")
        for name in names[:4]:
            value = data[name]
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError(f"{name} is not a number")
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} is not an accuracy in [0, 1]")
        n, seconds = data["n_params"], data["eval_seconds"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError("n_params is not a non-negative integer")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError("eval_seconds is not a number")
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError("eval_seconds is not a non-negative number")
        return cls(**{k: (data[k] if k == "n_params" else float(data[k])) for k in names})


@dataclass(frozen=True, eq=False)
class HiddenSplit:
    """The hidden split: a labelled probe-training part and a test part, whose `public`
    mask says which test examples count for the public board."""

    probe_x: np.ndarray
    probe_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    public: np.ndarray


# -- the hidden split (trusted side only) -------------------------------------------------

_hidden_cache: dict[tuple[str, int, int], HiddenSplit] = {}


@functools.cache
def _course_paths():
    """This repository's course paths (its nbgrader_config.py), or None without one."""
    if not (REPO / "nbgrader_config.py").is_file():
        return None
    from nbgrader.coursedir import CourseDirectory

    from dlgrade.courses import load_config
    from dlgrade.paths import CoursePaths

    config = load_config(REPO)
    return CoursePaths(CourseDirectory(config=config), config=config)


def default_config_path() -> Path:
    """``graders/represent/competition.json`` of this repository's course (the course
    paths decide where graders/ is)."""
    paths = _course_paths()
    graders = paths.graders(ASSIGNMENT) if paths is not None else REPO / "graders" / ASSIGNMENT
    return graders / CONFIG_NAME


def _seed(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**32:
        raise ValueError(f"competition.json: {name} must be an integer in [0, 2**32)")
    return value


def _part(config: dict, name: str) -> tuple[int, int]:
    part = config.get(name)
    if not isinstance(part, dict) or set(part) != {"seed", "n"}:
        raise ValueError(f"competition.json: {name} must be {{'seed': ..., 'n': ...}}")
    n = part["n"]
    if not isinstance(n, int) or isinstance(n, bool) or not 10 <= n <= 100_000:
        raise ValueError(f"competition.json: {name}.n must be an integer in [10, 100000]")
    return _seed(part["seed"], f"{name}.seed"), n


def load_hidden(path: Path | None = None) -> HiddenSplit:
    """The hidden split generated from the grader-only config (cached per process)."""
    from dlgrade.compete import data

    path = Path(path) if path is not None else default_config_path()
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _hidden_cache:
        return _hidden_cache[key]
    config = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(config, dict) or config.get("schema", 1) != 1:
        raise ValueError("competition.json must hold a JSON object of schema 1")
    probe_seed, probe_n = _part(config, "probe")
    test_seed, test_n = _part(config, "test")
    public_seed = _seed(config.get("public_seed"), "public_seed")
    fraction = config.get("public_fraction")
    if not isinstance(fraction, (int, float)) or not 0.0 < fraction < 1.0:
        raise ValueError("competition.json: public_fraction must be in (0, 1)")
    seeds = {probe_seed, test_seed, data.POOL_SEED, data.DEV_SEED}
    if len(seeds) != 4:
        raise ValueError("competition.json: the hidden seeds must differ from each other "
                         "and from the public ones")  # fmt: skip
    probe_x, probe_y = data.make_split(probe_seed, probe_n)
    test_x, test_y = data.make_split(test_seed, test_n)
    order = np.random.default_rng(public_seed).permutation(test_n)
    public = np.zeros(test_n, dtype=bool)
    public[order[: max(1, min(test_n - 1, round(fraction * test_n)))]] = True
    for array in (probe_x, probe_y, test_x, test_y, public):
        array.setflags(write=False)
    hidden = HiddenSplit(probe_x, probe_y, test_x, test_y, public)
    _hidden_cache[key] = hidden
    return hidden


# -- the sandbox side -----------------------------------------------------------------------


def sandbox_embed(size: str, weights: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """(n, EMBED_DIM) float32 embeddings of `inputs` by a `size` encoder holding
    `weights` (the safetensors bytes as uint8). Runs inside the sandbox."""
    import torch

    tensors = read_tensors(np.asarray(weights, dtype=np.uint8).tobytes(), size)
    encoder = arch.build_encoder(size)
    encoder.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    encoder.eval()
    x = torch.from_numpy(np.array(inputs, dtype=np.float32))
    with torch.no_grad():
        out = [encoder(x[i : i + BATCH]) for i in range(0, len(x), BATCH)]
    return torch.cat(out).numpy().astype(np.float32)


_backends: dict[str, Any] = {}


def _course_config(paths: Any = None):
    from traitlets.config import Config

    paths = paths if paths is not None else _course_paths()
    return Config(paths.config) if paths is not None else Config()


def get_backend(name: str, paths: Any = None):
    """This process's sandbox backend `name`, made once per course with the settings of
    `paths` (CoursePaths; default: this repository's course) and closed at exit: the
    local one keeps its warm template between evaluations."""
    key = (name, str(paths.root) if paths is not None else "")
    if key not in _backends:
        from dlgrade.sandbox.backends.base import get_backend_class

        _backends[key] = get_backend_class(name)(config=_course_config(paths))
        atexit.register(_backends[key].close)
    return _backends[key]


def _job(label: str, paths: Any = None):
    """The sandbox job: what the autograder's jobs hide (the course root, graders/,
    source/, the gradebook's folder) is hidden here too."""
    from dlgrade.sandbox.backends.base import SandboxJob

    hide = [str(REPO / "graders"), str(REPO / "source")]
    paths = paths if paths is not None else _course_paths()
    if paths is not None:
        hide += [str(paths.root), str(paths.graders("")), str(paths.source(""))]
        db = paths.coursedir.db_url
        if db.startswith("sqlite:///"):
            hide.append(str(Path(db.removeprefix("sqlite:///")).parent))
    return SandboxJob(slot=0, label=label, hide=tuple(dict.fromkeys(hide)))


def embed_in_sandbox(
    checked: Checked,
    inputs: np.ndarray,
    backend: Any = "local",
    time_limit: float = 30.0,
    paths: Any = None,
) -> np.ndarray:
    """Embeddings of `inputs` computed in a fresh sandbox of `backend` (a registered
    name or a `SandboxBackend`; `paths`, the course whose settings and hidden folders
    apply, default this repository's), bounded here; `Rejected` for bad embeddings,
    `EvaluationFailed` when the sandbox times out, crashes or cannot start."""
    from dlgrade.sandbox.protocol import Ref
    from dlgrade.sandbox.session import (
        SandboxError,
        SandboxSession,
        SessionSettings,
        StudentError,
    )

    inputs = np.ascontiguousarray(inputs, dtype=np.float32)
    if inputs.ndim != 2 or inputs.shape[1] != arch.SIGNAL_LEN:
        raise ValueError(f"inputs must have shape (n, {arch.SIGNAL_LEN})")
    box = get_backend(backend, paths) if isinstance(backend, str) else backend
    settings = SessionSettings(
        cell_time_limit=time_limit,
        notebook_time_limit=time_limit,
        start_time_limit=time_limit,
        max_restarts=0,
        threads=1,
    )
    session = SandboxSession(box, _job(f"compete-{checked.size}", paths), [], HELPERS, settings)
    request = {
        "target": Ref("helpers", ("embed",)),
        "args": [checked.size, np.frombuffer(checked.weights, dtype=np.uint8), inputs],
        "kwargs": {},
    }
    try:
        value = session.request("call", request, 0, time.monotonic() + time_limit)
    except StudentError:
        if session.helpers_error is not None:  # our own helpers: not the submission's fault
            raise EvaluationFailed("the evaluation sandbox could not import its helpers") from None
        raise Rejected(f"the weights could not be loaded into a {checked.size} encoder") from None
    except SandboxError as exc:
        raise EvaluationFailed(f"the evaluation sandbox {exc.status}: {exc}") from None
    finally:
        session.close()
    return bounded_embeddings(value, len(inputs))


def bounded_embeddings(value: Any, n: int) -> np.ndarray:
    """`value` if it is a float32 array of shape (n, EMBED_DIM), finite and within
    ±MAX_ABS_EMBEDDING; else `Rejected`."""
    if not isinstance(value, np.ndarray) or value.dtype != np.float32:
        raise Rejected("your encoder did not produce a float32 array of embeddings")
    if value.shape != (n, arch.EMBED_DIM):
        raise Rejected(f"your encoder's embeddings do not have shape ({n}, {arch.EMBED_DIM})")
    if not np.isfinite(value).all() or float(np.abs(value).max(initial=0)) > MAX_ABS_EMBEDDING:
        raise Rejected("your encoder produced NaN/inf/huge embeddings")
    return value


# -- the scores (trusted) ---------------------------------------------------------------------


def _probe(probe_emb: np.ndarray, probe_y: np.ndarray, test_emb: np.ndarray) -> np.ndarray:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    mean = probe_emb.mean(axis=0)
    std = probe_emb.std(axis=0)
    std[std < 1e-12] = 1.0
    clf = LogisticRegression(C=PROBE_C, max_iter=PROBE_MAX_ITER, tol=1e-4, solver="lbfgs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit((probe_emb - mean) / std, probe_y)
    return clf.predict((test_emb - mean) / std)


def knn_predict(
    memory: np.ndarray, memory_y: np.ndarray, queries: np.ndarray, k: int = KNN_K
) -> np.ndarray:
    """Cosine k-NN labels of `queries` (zero vectors have similarity 0 to everything).
    Ties are deterministic: among equally similar neighbours the lower memory index
    comes first; among classes with equal votes, the one of the nearest tied neighbour."""

    def unit(a: np.ndarray) -> np.ndarray:
        norm = np.linalg.norm(a, axis=1, keepdims=True)
        return a / np.where(norm > 0, norm, 1.0)

    sims = unit(queries) @ unit(memory).T
    k = min(k, len(memory))
    nearest = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    labels = memory_y[nearest]
    classes = int(memory_y.max()) + 1
    rows = np.arange(len(queries))
    votes = np.zeros((len(queries), classes), dtype=np.int64)
    first = np.full((len(queries), classes), k, dtype=np.int64)
    for rank in range(k):
        votes[rows, labels[:, rank]] += 1
        first[rows, labels[:, rank]] = np.minimum(first[rows, labels[:, rank]], rank)
    score = votes * (k + 1) + (k - first)
    return score.argmax(axis=1)


def score_embeddings(
    probe_emb: np.ndarray,
    probe_y: np.ndarray,
    test_emb: np.ndarray,
    test_y: np.ndarray,
    public: np.ndarray,
) -> tuple[float, float, float, float]:
    """(probe_public, probe_private, knn_public, knn_private) accuracies, computed here
    on one BLAS thread (deterministic)."""
    from threadpoolctl import threadpool_limits

    probe_emb = np.asarray(probe_emb, dtype=np.float64)
    test_emb = np.asarray(test_emb, dtype=np.float64)
    probe_y, test_y = np.asarray(probe_y), np.asarray(test_y)
    public = np.asarray(public, dtype=bool)
    with threadpool_limits(limits=1):
        probe_pred = _probe(probe_emb, probe_y, test_emb)
        knn_pred = knn_predict(probe_emb, probe_y, test_emb)

    def acc(pred: np.ndarray, mask: np.ndarray) -> float:
        return round(float((pred[mask] == test_y[mask]).mean()), 6) if mask.any() else 0.0

    return (
        acc(probe_pred, public),
        acc(probe_pred, ~public),
        acc(knn_pred, public),
        acc(knn_pred, ~public),
    )


def evaluate(
    checked: Checked, hidden: HiddenSplit, backend: Any = "local", paths: Any = None
) -> Scores:
    """One checked submission's scores on `hidden` (embeddings computed in a sandbox of
    `backend` with the settings of the course `paths`, default this repository's)."""
    started = time.monotonic()
    inputs = np.concatenate([hidden.probe_x, hidden.test_x])
    emb = embed_in_sandbox(checked, inputs, backend, paths=paths)
    n = len(hidden.probe_x)
    scores = score_embeddings(emb[:n], hidden.probe_y, emb[n:], hidden.test_y, hidden.public)
    return Scores(
        *scores, n_params=checked.n_params, eval_seconds=round(time.monotonic() - started, 3)
    )
