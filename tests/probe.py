"""Probe sessions for the backend tests: one code cell run in a sandbox, then questions
about the namespace it left (shared by the local and the docker backend tests)."""

from __future__ import annotations

import time
from typing import Any

from dlgrade.notebook import CodeCell
from dlgrade.sandbox.backends.base import SandboxJob
from dlgrade.sandbox.protocol import Ref
from dlgrade.sandbox.session import SandboxSession, SessionSettings
from tests.conftest import REPO


def probe_session(backend, code: str, slot: int = 0, cell_limit: float = 60) -> SandboxSession:
    """A session whose only cell is `code`, with this repository hidden."""
    job = SandboxJob(slot=slot, label="probe", hide=(str(REPO),))
    settings = SessionSettings(cell_time_limit=cell_limit, notebook_time_limit=cell_limit + 60)
    return SandboxSession(backend, job, [CodeCell(0, code)], "", settings)


def get(session: SandboxSession, name: str) -> Any:
    """The value of a top-level name of the probe cell."""
    return session.request("get", {"target": Ref("ns", (name,))}, 0, time.monotonic() + 60)


def call(session: SandboxSession, name: str, *args: Any) -> Any:
    """Call a top-level function of the probe cell with plain arguments."""
    request = {"target": Ref("ns", (name,)), "args": list(args), "kwargs": {}}
    return session.request("call", request, 0, time.monotonic() + 60)
