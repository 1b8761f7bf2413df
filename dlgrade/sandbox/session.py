"""The grader's side of one submission's sandbox: start, execute the notebook, call.

The same for every backend. A cell that hangs or kills the process is skipped and the
sandbox restarted; a request that hangs or crashes ends that request only, and the next
request gets a fresh sandbox. Every value read back is decoded without pickle.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from dlgrade.notebook import CodeCell
from dlgrade.sandbox.backends.base import SandboxBackend, SandboxJob, SandboxProcess
from dlgrade.sandbox.protocol import _LEN, Decoder, Encoder, ProtocolError

log = logging.getLogger(__name__)


class SandboxError(Exception):
    """Base class: something went wrong on the sandbox side of a request."""

    status = "error"


class SandboxTimeout(SandboxError):
    status = "timeout"


class SandboxCrashed(SandboxError):
    status = "crashed"


class SandboxUnavailable(SandboxError):
    """No sandbox could be (re)started within the restart budget."""

    status = "crashed"


class StudentError(SandboxError):
    """The student's code raised an exception while serving a request."""

    status = "failed"

    def __init__(self, info: dict):
        self.info = info if isinstance(info, dict) else {}
        self.type = str(self.info.get("type", "Exception"))[:100]
        self.builtin = bool(self.info.get("builtin"))
        self.message = str(self.info.get("message", ""))[:2000]
        self.where = str(self.info.get("where", ""))[:200]
        super().__init__(f"{self.type}: {self.message}")


@dataclass
class CellRecord:
    index: int
    status: str = "not run"  # ok | error | timeout | crashed | not run
    outputs: list = field(default_factory=list)
    error: dict | None = None


@dataclass
class SessionSettings:
    cell_time_limit: float = 60.0
    notebook_time_limit: float = 180.0
    start_time_limit: float = 60.0
    """Seconds a sandbox may take to boot (until its first cell starts, or it is ready);
    a busy machine's slow boot is not charged to the submission's first cell."""
    max_restarts: int = 3
    threads: int = 1
    seed: int = 0
    max_output_total_kb: int = 2048
    """Captured outputs a submission may keep in all (as JSON); later ones are dropped."""


class SandboxSession:
    """One submission's sandbox, restarted on demand."""

    def __init__(
        self,
        backend: SandboxBackend,
        job: SandboxJob,
        cells: list[CodeCell],
        helpers_source: str = "",
        settings: SessionSettings | None = None,
    ):
        self.backend = backend
        self.job = job
        self.cells = cells
        self.helpers_source = helpers_source
        self.settings = settings or SessionSettings()
        self.proc: SandboxProcess | None = None
        self.records = {c.index: CellRecord(c.index) for c in cells}
        self.skipped: set[int] = set()
        self.restarts = -1
        self.events: list[str] = []
        self.helpers_error: dict | None = None
        self.output_bytes = 0
        self.output_cap = self.settings.max_output_total_kb * 1024
        self.cut_at: int | None = None
        self._next_id = 0

    # -- lifecycle -----------------------------------------------------------------
    def ensure_started(self) -> None:
        while self.proc is None:
            if self.restarts >= self.settings.max_restarts:
                raise SandboxUnavailable("the sandbox could not be restarted any more")
            self.restarts += 1
            self._start_once()

    def _start_once(self) -> None:
        try:
            proc = self.backend.launch(self.job)
        except (RuntimeError, ValueError) as exc:  # a refused launch: the same every time
            self.events.append(f"the sandbox was not started: {exc}")
            self.restarts = self.settings.max_restarts
            raise SandboxUnavailable(str(exc)) from None
        cells = [
            {"index": c.index, "source": c.source}
            for c in self.cells
            if c.index not in self.skipped
        ]
        try:
            self._send(
                proc,
                {
                    "op": "init",
                    "cells": cells,
                    "helpers": self.helpers_source,
                    "threads": self.settings.threads,
                    "seed": self.settings.seed,
                },
                {},
                time.monotonic() + self.settings.notebook_time_limit,
            )
        except (EOFError, TimeoutError):
            proc.kill()
            self.events.append("the sandbox did not start")
            return
        booted: float | None = None  # when the first cell started
        current: int | None = None
        phase_started = time.monotonic()
        while True:
            if booted is None:
                deadline = phase_started + self.settings.start_time_limit
            else:
                deadline = min(
                    phase_started + self.settings.cell_time_limit,
                    booted + self.settings.notebook_time_limit,
                )
            try:
                header, _ = proc.recv(deadline)
            except TimeoutError:
                self._fail_cell(proc, current, "timeout")
                return
            except (EOFError, ProtocolError):
                self._fail_cell(proc, current, "crashed")
                return
            event = header.get("event")
            if event == "cell_start" and isinstance(header.get("index"), int):
                current, phase_started = header["index"], time.monotonic()
                booted = phase_started if booted is None else booted
            elif event == "cell_done" and current in self.records:
                rec = self.records[current]
                if rec.status == "not run":
                    rec.error = _plain_error(header.get("error"))
                    rec.outputs = self._within_total(_plain_outputs(header.get("outputs")), rec)
                    rec.status = "error" if rec.error else "ok"
                current, phase_started = None, time.monotonic()
            elif event == "helpers_failed":
                self.helpers_error = header.get("error")
            elif event == "ready":
                self.proc = proc
                return

    def _fits(self, item: dict, index: int) -> bool:
        """Whether `item` (an output or an error) still fits the submission's total; the
        first that does not cuts every later one."""
        size = len(json.dumps(item))
        if self.cut_at is None and self.output_bytes + size <= self.output_cap:
            self.output_bytes += size
            return True
        if self.cut_at is None:
            self.cut_at = index
            self.events.append(
                f"outputs cut from cell {index} on: the submission's outputs reached "
                f"{self.settings.max_output_total_kb} KB"
            )
        return False

    def _within_total(self, outputs: list[dict], rec: CellRecord) -> list[dict]:
        """The outputs of `rec` that fit the total, and a note in the cell where the cut
        began; an error that does not fit keeps only its type."""
        kept = [out for out in outputs if self._fits(out, rec.index)]
        if rec.error is not None and not self._fits(rec.error, rec.index):
            rec.error = {"type": rec.error.get("type", "Error")}
        if self.cut_at == rec.index:
            text = (
                f"[dlgrade] outputs cut: this submission's outputs reached "
                f"{self.settings.max_output_total_kb} KB; later outputs were dropped\n"
            )
            kept.append({"output_type": "stream", "name": "stderr", "text": text})
        return kept

    def _fail_cell(self, proc: SandboxProcess, index: int | None, status: str) -> None:
        proc.kill()
        if index is None:
            self.events.append(f"the sandbox {status} while starting")
            self.restarts = self.settings.max_restarts  # nothing to skip: do not retry
            return
        self.skipped.add(index)
        if index in self.records:
            self.records[index].status = status
        self.events.append(
            f"cell {index} {'timed out' if status == 'timeout' else 'crashed the kernel'}"
        )

    def close(self) -> None:
        if self.proc is not None:
            try:
                self._send(self.proc, {"op": "bye"}, {}, time.monotonic() + 1.0)
            except (EOFError, TimeoutError):
                pass
            self.proc.kill()
            self.proc = None

    # -- requests ------------------------------------------------------------------
    def request(self, op: str, fields: dict[str, Any], seed: int, deadline: float) -> Any:
        """Send one request; return the decoded value or raise a SandboxError."""
        self.ensure_started()
        proc = self.proc
        self._next_id += 1
        rid = self._next_id
        try:
            self._send(proc, {"op": op, "id": rid, "seed": seed}, fields, deadline)
            while True:
                header, blobs = proc.recv(deadline)
                if header.get("id") == rid:
                    break
        except TimeoutError:
            self._drop()
            raise SandboxTimeout("the request took longer than the time limit") from None
        except (EOFError, ProtocolError) as exc:
            self._drop()
            raise SandboxCrashed(f"the sandbox process died ({exc})") from None
        if not header.get("ok"):
            raise StudentError(header.get("error") or {})
        try:
            return Decoder(blobs).decode(header.get("value"))
        except (ProtocolError, ValueError, TypeError, RecursionError) as exc:
            raise SandboxCrashed(f"the sandbox sent malformed data ({exc})") from None

    def _drop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc = None

    @staticmethod
    def _send(proc: SandboxProcess, header: dict, fields: dict[str, Any], deadline: float) -> None:
        enc = Encoder()
        header = dict(header)
        for key, value in fields.items():
            header[key] = enc.encode(value)
        header["blobs"] = [len(b) for b in enc.blobs]
        data = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
        proc.send(_LEN.pack(len(data)) + data, enc.blobs, deadline)


def _plain_error(error: Any) -> dict | None:
    """A cell's error as short strings (the sandbox may send anything)."""
    if not isinstance(error, dict):
        return None
    return {
        key: value[:limit]
        for key, limit in (("type", 100), ("message", 2000), ("where", 200))
        if isinstance(value := error.get(key), str)
    } or {"type": "Error"}


def _plain_outputs(outputs: Any) -> list[dict]:
    """Keep only well-formed nbformat outputs of the kinds the worker sends."""
    clean = []
    for out in outputs if isinstance(outputs, list) else []:
        if not isinstance(out, dict):
            continue
        if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
            name = "stderr" if out.get("name") == "stderr" else "stdout"
            clean.append({"output_type": "stream", "name": name, "text": out["text"][:20000]})
        elif out.get("output_type") == "display_data" and isinstance(out.get("data"), dict):
            data = {
                k: v[:200000]
                for k, v in out["data"].items()
                if isinstance(k, str) and isinstance(v, str)
            }
            clean.append({"output_type": "display_data", "data": data, "metadata": {}})
    return clean[:40]
