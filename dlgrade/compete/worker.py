"""The evaluation queue: queued → evaluating → scored / rejected (with a reason).

One loop, in a thread next to the leaderboard service (or in its own process,
`python -m dlgrade.compete worker`):

1. requeue claims older than `stale_s` (a worker that died mid-evaluation);
2. `store.claim_next()`: the oldest queued submission, now `evaluating`;
3. check its bytes again (`weights.check_submission`: the database is not trusted more
   than the upload was);
4. `evaluate.evaluate` in the autograder's sandbox backend, against the hidden split;
5. `store.record_scores`, or `store.record_rejection` with the reason.

A submission that fails in any way is recorded as rejected with a grader-authored reason;
nothing one submission does stops the loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from dlgrade.compete import weights

log = logging.getLogger(__name__)

INTERNAL_ERROR = "the evaluation failed on the platform's side; the staff has been told"


def _evaluate_module() -> Any:
    from dlgrade.compete import evaluate

    return evaluate


class Worker:
    """Evaluates queued submissions one at a time."""

    def __init__(
        self,
        store: Any,
        hidden: Callable[[], Any] | Any = None,
        backend: str = "local",
        poll_s: float = 2.0,
        stale_s: float = 900.0,
        paths: Any = None,
    ) -> None:
        """`hidden`: the hidden split, or a function loading it (loaded on first use, so
        the service answers while torch is imported); `paths`: the course whose sandbox
        settings apply."""
        self.store = store
        self.paths = paths
        self._hidden = hidden
        self.backend = backend
        self.poll_s = poll_s
        self.stale_s = stale_s
        self.wake = threading.Event()
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.evaluated = 0
        self.on_change: Callable[[], None] = lambda: None
        """Called after each submission is recorded (the service drops its cached boards)."""

    @property
    def hidden(self) -> Any:
        if self._hidden is None:
            self._hidden = _evaluate_module().load_hidden()
        elif callable(self._hidden):
            self._hidden = self._hidden()
        return self._hidden

    def run_once(self) -> bool:
        """Evaluate one queued submission; False when the queue was empty."""
        claimed = self.store.claim_next()
        if claimed is None:
            return False
        self.on_change()
        self.handle(claimed)
        self.evaluated += 1
        self.on_change()
        return True

    def handle(self, claimed: Any) -> None:
        """Check, evaluate and record one claimed submission; never raises."""
        evaluate = _evaluate_module()
        sid = claimed.id
        try:
            meta = {"size": claimed.size, "hyperparams": getattr(claimed, "hyperparams", {}) or {}}
            checked = weights.check_submission(bytes(claimed.weights), meta)
            started = time.monotonic()
            scores = evaluate.evaluate(checked, self.hidden, backend=self.backend, paths=self.paths)
            log.info("submission %s scored in %.1f s", sid, time.monotonic() - started)
        except (weights.Rejected, evaluate.Rejected, evaluate.EvaluationFailed) as err:
            self._reject(sid, reason_of(err))
            return
        except Exception:
            log.exception("submission %s: evaluation failed", sid)
            self._reject(sid, INTERNAL_ERROR)
            return
        try:
            self.store.record_scores(sid, scores)
        except Exception:
            log.exception("submission %s: its scores could not be recorded", sid)
            self._reject(sid, INTERNAL_ERROR)

    def _reject(self, sid: int, reason: str) -> None:
        try:
            self.store.record_rejection(sid, reason)
        except Exception:
            log.exception("submission %s: the rejection could not be recorded", sid)

    def requeue(self) -> None:
        try:
            self.store.requeue_stale(self.stale_s)
        except Exception:
            log.exception("requeueing stale claims failed")

    def run(self) -> None:
        """Until `stop` is set: requeue stale claims, drain the queue, wait for a wake-up."""
        self.requeue()
        last_requeue = time.monotonic()
        while not self.stop.is_set():
            if time.monotonic() - last_requeue > min(self.stale_s, 60.0):
                self.requeue()
                last_requeue = time.monotonic()
            try:
                busy = self.run_once()
            except Exception:
                log.exception("the evaluation queue could not be read")
                busy = False
            if not busy:
                self.wake.wait(self.poll_s)
                self.wake.clear()

    def drain(self, timeout_s: float = 600.0) -> int:
        """Evaluate until the queue is empty (the demo's and the tests' loop); returns how
        many were evaluated."""
        deadline = time.monotonic() + timeout_s
        done = 0
        while time.monotonic() < deadline and self.run_once():
            done += 1
        return done

    def start(self) -> threading.Thread:
        """Run the loop in a daemon thread."""
        self.thread = threading.Thread(target=self.run, name="compete-worker", daemon=True)
        self.thread.start()
        return self.thread

    def close(self, timeout_s: float = 30.0) -> None:
        self.stop.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout_s)


def reason_of(err: BaseException) -> str:
    """The reason a rejection carries (the exception's own `reason`, else its text)."""
    reason = getattr(err, "reason", None) or str(err) or type(err).__name__
    return str(reason)[:500]
