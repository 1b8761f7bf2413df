"""The leaderboard as a JupyterHub service: hub OAuth for people, hub tokens for clients.

`python -m dlgrade.compete serve` runs in the course root as the course's grader account
(the hub starts it: `dlgrade.hub.template.compete_service`). It holds:

* the store (`store.CompetitionStore`, the URL of `CompetitionRules.database_url`, SQLite
  in the course root by default), upgraded to the newest migration at start;
* the evaluation worker (`worker.Worker`) in a thread, woken by each accepted upload;
* the tornado application (`handlers`), under $JUPYTERHUB_SERVICE_PREFIX, listening on
  the address of $JUPYTERHUB_SERVICE_URL (loopback).

Who is who comes from the hub: a user in one of the staff groups (the course's
formgrade-<course_id>) sees everything and may reveal the private board; any other user
the hub lets in (the role of the course's students grants access to the service) sees the
public board and their own submissions. What each one sees is `board.board(store,
viewer)`; every page and JSON answer is built from it and nothing else.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tornado import web

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
# No inline script or style at all: the sort script and the style sheet are files of the
# service's static path; the history plot is an SVG image of the service's own origin.
COMPETE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
MAX_BODY_BYTES = 16 * 1024 * 1024
"""Largest upload tornado reads; `weights.check_submission` refuses far smaller ones with a
clear reason (this only bounds what the service buffers)."""
CACHE_S = 1.0


@dataclass
class Competition:
    """Everything the handlers share: the store and rules, who is staff, the worker."""

    store: Any
    rules: Any
    staff_groups: frozenset[str]
    student_groups: frozenset[str] = frozenset()
    course_id: str = ""
    ready: bool = True
    """False while `serve` opens the store (the service answers 503 meanwhile: the hub
    gives a managed service only a few seconds to answer at all)."""
    wake: Callable[[], None] = lambda: None
    bonus: Callable[[str], dict] | None = None
    """Writes the bonus into the gradebook (the caller's name) → a summary for staff."""
    version: int = 0
    _cache: dict = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def changed(self) -> None:
        """Something was written: drop the cached boards."""
        with self._lock:
            self.version += 1
            self._cache.clear()

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` at most once per CACHE_S per key and store version (the board of
        50 polling students is computed once a second each, not once a request)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
            version = self.version
        if hit is not None and hit[0] == version and now - hit[1] < CACHE_S:
            return hit[2]
        value = compute()
        with self._lock:
            if self.version == version:
                self._cache[key] = (version, now, value)
        return value

    @property
    def reader(self) -> Any:
        """The store as the boards read it: its snapshot shared by every viewer for up to
        CACHE_S (one database read a second however many students poll)."""
        return _SharedSnapshot(self)

    def is_staff(self, groups: Iterable[str]) -> bool:
        return bool(self.staff_groups & set(groups))

    def may_enter(self, groups: Iterable[str]) -> bool:
        """Staff, or (when student groups are named) a student of the course."""
        groups = set(groups)
        return (
            self.is_staff(groups) or not self.student_groups or bool(self.student_groups & groups)
        )


class _SharedSnapshot:
    """`board.board` / `board.history` read `rules` and `snapshot()` only."""

    def __init__(self, competition: Competition) -> None:
        self._c = competition
        self.rules = competition.rules

    def snapshot(self) -> Any:
        return self._c.cached(("snapshot",), self._c.store.snapshot)


def make_app(
    competition: Competition,
    prefix: str | None = None,
    hub_auth: Any = None,
    cookie_secret: bytes | None = None,
) -> web.Application:
    """The tornado application of the leaderboard under `prefix` (default
    $JUPYTERHUB_SERVICE_PREFIX), authenticated by `hub_auth` (default: a `HubOAuth` from
    the service's environment)."""
    from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler

    from dlgrade.compete import handlers

    prefix = prefix or os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    if not prefix.endswith("/"):
        prefix += "/"
    if hub_auth is None:
        hub_auth = HubOAuth(api_token=os.environ.get("JUPYTERHUB_API_TOKEN", ""), cache_max_age=60)
    routes = [
        (prefix, handlers.BoardPage),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
        (prefix + "history.svg", handlers.HistoryImage),
        (prefix + "api/health", handlers.Health),
        (prefix + "api/board", handlers.BoardAPI),
        (prefix + "api/history", handlers.HistoryAPI),
        (prefix + "api/submissions", handlers.SubmissionsAPI),
        (prefix + r"api/submissions/(\d+)", handlers.SubmissionAPI),
        (prefix + "api/final", handlers.FinalAPI),
        (prefix + "api/reveal", handlers.RevealAPI),
        (prefix + "api/bonus", handlers.BonusAPI),
        (prefix + r"api/(pseudonym|team)", handlers.ProfileAPI),
        (prefix + r"action/(final|reveal|bonus)", handlers.ActionPage),
        (prefix + r"static/(board\.js|board\.css)", handlers.Static, {"path": str(STATIC)}),
        (prefix + "(.*)", handlers.NotFound),
    ]
    return web.Application(
        routes,
        competition=competition,
        hub_auth=hub_auth,
        prefix=prefix,
        cookie_secret=cookie_secret or secrets.token_bytes(32),
        xsrf_cookies=True,
    )


def bind_address(url: str | None = None) -> tuple[str, int]:
    """(ip, port) of $JUPYTERHUB_SERVICE_URL (the service listens there only)."""
    parsed = urlparse(url or os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8765"))
    return parsed.hostname or "127.0.0.1", parsed.port or 80


def listen(app: web.Application, ip: str, port: int) -> Any:
    """An HTTP server of `app` on ip:port, bounded in what it buffers."""
    from tornado.httpserver import HTTPServer

    server = HTTPServer(app, max_body_size=MAX_BODY_BYTES, xheaders=True)
    server.listen(port, ip)
    return server
