"""A warm grading service: a course's grading processes, started once and kept.

Every `dlgrade autograde` starts its own grading processes, and each one imports torch
and boots its sandbox template (about 2 s of CPU each) before its first submission; on
two cores, two workers pay that four times over before grading anything. `dlgrade serve`
pays it once: it keeps a `batch.GradingPool` warm and grades the batches that clients
with ``c.Autograder.executor = "service"`` send to its Unix socket, one batch at a time,
with the same processes, sandboxes, limits and results.json as a local run.

The wire is `dlgrade.sandbox.protocol`'s frame (a JSON header, no blobs). Only the
service's own uid and root may connect (SO_PEERCRED), in a 0700 folder. A client's batch
is graded only if its grading settings and its dlgrade code are the service's own
(`grading_settings`, `code_digest`); otherwise the reply says which differ, and the
client grades the batch itself (`dlgrade.cluster.service`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import select
import signal
import socket
import struct
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Unicode
from traitlets.config import Config, LoggingConfigurable

from dlgrade.grading import batch
from dlgrade.grading.autograder import COURSE_SECTIONS, with_course
from dlgrade.paths import CoursePaths
from dlgrade.sandbox import protocol

log = logging.getLogger(__name__)
MAX_REQUEST = 4 * 2**20
MAX_REPLY = 16 * 2**20
MAX_JOBS = 100_000
NOT_GRADING = {
    "Autograder": {"workers", "executor", "force", "write_gradebook"},
    "GradingService": None,
    "ServiceExecutor": None,
    "SlurmExecutor": None,
}
"""Settings that do not change how one submission is graded (None: the whole section);
every other setting of the client must equal the service's."""
PACKAGE = Path(__file__).resolve().parent.parent


class RequestError(ValueError):
    """A request the service does not take (its reason goes back to the client)."""


class GradingService(LoggingConfigurable):
    """Where the warm grading service of a course listens (`dlgrade serve`)."""

    socket = Unicode(
        "",
        help="The grading service's Unix socket (`dlgrade serve` listens there; clients "
        "with c.Autograder.executor = 'service' connect). Empty: .dlgrade/grading.sock "
        "below the course root.",
    ).tag(config=True)

    def socket_path(self, paths: CoursePaths) -> Path:
        return Path(self.socket) if self.socket else paths.root / ".dlgrade" / "grading.sock"


def grading_settings(config: Config) -> dict:
    """The settings of `config` that decide how a submission is graded, as JSON values:
    all but the course's own sections (`COURSE_SECTIONS`) and `NOT_GRADING`."""
    from dlgrade.cluster.slurm import plain_config

    out = {}
    for section, values in plain_config(config).items():
        skip = NOT_GRADING.get(section, set())
        if section in COURSE_SECTIONS or skip is None or not isinstance(values, dict):
            continue
        kept = {k: _number(v) for k, v in values.items() if k not in skip}
        if kept:
            out[section] = kept
    return out


def _number(value):
    """30.0 and 30 are one setting (a file may say either)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def settings_differences(mine: dict, theirs) -> list[str]:
    """`section.key` of every grading setting whose value differs between the two."""
    if not isinstance(theirs, dict):
        return ["(no settings sent)"]
    out = []
    for section in sorted(set(mine) | set(theirs)):
        a, b = mine.get(section, {}), theirs.get(section, {})
        if not isinstance(b, dict):
            out.append(f"{str(section)[:60]}")
            continue
        out += [
            f"{section}.{k}"[:100] for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)
        ]
    return out


def code_digest(package: Path = PACKAGE) -> str:
    """Names, sizes and modification times of dlgrade's modules: a service started
    before the code changed grades for no client of the new code."""
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def course_sections(config: Config) -> Config:
    return Config({s: Config(config[s]) for s in COURSE_SECTIONS if s in config})


def grade_request(config: Config, jobs: list[batch.Job], workers: int) -> dict:
    """The frame a client sends to have `jobs` graded with `config` (its course's)."""
    from dlgrade.cluster.slurm import plain_config

    return {
        "op": "grade",
        "code": code_digest(),
        "settings": grading_settings(config),
        "course": plain_config(course_sections(config)),
        "workers": workers,
        "jobs": [
            [j.assignment, j.student, j.duedate.isoformat() if j.duedate else None] for j in jobs
        ],
    }


def _name(value, what: str) -> str:
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= 200
        or value in (".", "..")
        or any(c in value for c in "/\\\0")
    ):
        raise RequestError(f"not a {what} name: {str(value)[:50]!r}")
    return value


def parse_jobs(value) -> list[batch.Job]:
    """The jobs of a request, each checked (names without path separators, ISO dates)."""
    if not isinstance(value, list) or len(value) > MAX_JOBS:
        raise RequestError(f"jobs: a list of at most {MAX_JOBS} [assignment, student, due]")
    jobs: list[batch.Job] = []
    for item in value:
        if not isinstance(item, list) or len(item) != 3:
            raise RequestError("a job is [assignment, student, due date or null]")
        assignment, student, due = item
        try:
            duedate = None if due is None else datetime.fromisoformat(due)
        except (TypeError, ValueError):
            raise RequestError(f"not a due date: {str(due)[:50]!r}") from None
        jobs.append(batch.Job(_name(assignment, "assignment"), _name(student, "student"), duedate))
    if len(set(jobs)) != len(jobs):
        raise RequestError("a submission is named twice")
    return jobs


class _Connection:
    """One client: frames in and out, and whether it is still there."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.stream = conn.makefile("rwb")
        self.gone = False

    def read(self, max_header: int) -> dict:
        header, _ = protocol.read_frame(self.stream, max_header, 0)
        return header

    def closed(self) -> bool:
        """The client hung up (or went away): what it asked for is no longer wanted."""
        if not self.gone:
            try:
                ready, _, _ = select.select([self.conn], [], [], 0)
                if ready and not self.conn.recv(1, socket.MSG_PEEK):
                    self.gone = True
            except OSError:
                self.gone = True
        return self.gone

    def send(self, header: dict) -> None:
        if self.gone:
            return
        try:
            protocol.write_frame(self.stream, header)
        except OSError:
            self.gone = True

    def close(self) -> None:
        for part in (self.stream, self.conn):
            try:
                part.close()
            except OSError:
                pass


def peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class Service:
    """The server: a warm `GradingPool` for `config`'s course and a socket to serve on."""

    def __init__(
        self,
        config: Config,
        paths: CoursePaths,
        workers: int,
        path: Path,
        logger: logging.Logger = log,
    ) -> None:
        self.config, self.paths, self.workers, self.path = config, paths, workers, path
        self.log = logger
        self.settings = grading_settings(config)
        self.code = code_digest()
        self.pool = batch.GradingPool(config, workers, tuple(paths.assignments()))
        self._stop = threading.Event()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        """Warm every grading process, then listen (the socket appears once warm)."""
        if ping(self.path, 2.0) is not None:
            raise RuntimeError(f"a grading service already answers at {self.path}")
        self.pool.warm()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        self.path.unlink(missing_ok=True)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.path.with_suffix(".new")))
        os.chmod(self.path.with_suffix(".new"), 0o600)
        os.replace(self.path.with_suffix(".new"), self.path)
        listener.listen(8)
        listener.settimeout(0.5)
        self._listener = listener

    def serve_forever(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        try:
            while not self._stop.is_set():
                try:
                    conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
                self.handle(conn)
        finally:
            self.close()

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
            self.path.unlink(missing_ok=True)
        self.pool.close()

    def handle(self, conn: socket.socket) -> None:
        """One client's request: grade its batch, one frame per finished submission."""
        client = _Connection(conn)
        try:
            uid = peer_uid(conn)
            if uid not in (0, os.geteuid()):
                self.log.warning("refused a client of uid %d", uid)
                return
            conn.settimeout(30)
            try:
                request = client.read(MAX_REQUEST)
            except (protocol.ProtocolError, EOFError, OSError) as exc:
                self.log.warning("unreadable request: %s", exc)
                return
            conn.settimeout(None)
            try:
                self._answer(client, request)
            except RequestError as exc:
                self.log.warning("refused a request: %s", exc)
                client.send({"op": "refused", "reason": str(exc)})
            except Exception as exc:  # noqa: BLE001 - the service outlives one bad batch
                self.log.exception("a batch failed")
                client.send(
                    {"op": "refused", "reason": f"the service failed: {type(exc).__name__}"}
                )
        finally:
            client.close()

    def _answer(self, client: _Connection, request: dict) -> None:
        op = request.get("op")
        if op == "ping":
            client.send({"op": "pong", "workers": self.workers})
            return
        if op != "grade":
            raise RequestError(f"unknown op {str(op)[:30]!r}")
        if request.get("code") != self.code:
            raise RequestError("the service runs another version of dlgrade; restart it")
        differ = settings_differences(self.settings, request.get("settings"))
        if differ:
            raise RequestError(
                "the client's grading settings differ from the service's ("
                + ", ".join(differ[:10])
                + "); restart the service with them"
            )
        jobs = parse_jobs(request.get("jobs"))
        workers = request.get("workers")
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise RequestError("workers: a positive integer")
        course = request.get("course")
        if not isinstance(course, dict) or set(course) - set(COURSE_SECTIONS):
            raise RequestError("course: the course's sections only")
        course = Config(course)
        paths = self._paths(course)
        client.send({"op": "accepted", "workers": min(workers, self.workers)})
        index = {job: i for i, job in enumerate(jobs)}

        def done(job: batch.Job, result) -> None:
            client.send({"op": "done", "job": index[job], "result": result.to_json()})

        stop = self._stop.is_set
        results = self.pool.grade(
            paths, jobs, done, workers, course, lambda: stop() or client.closed()
        )
        self.log.info("graded %d of %d submissions of a batch", len(results), len(jobs))
        client.send({"op": "end"})

    def _paths(self, course: Config) -> CoursePaths:
        config = with_course(self.config, course)
        return CoursePaths(CourseDirectory(config=config), config=config)


def ping(path: Path, timeout: float = 5.0) -> dict | None:
    """The service's answer to a ping at `path` ({"op": "pong", "workers": n}), or None
    when none answers."""
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            with sock.makefile("rwb") as stream:
                protocol.write_frame(stream, {"op": "ping"})
                return next(replies(stream), None)
    except (OSError, protocol.ProtocolError):
        return None


def replies(stream) -> Iterator[dict]:
    """The service's frames, until it closes the connection."""
    while True:
        try:
            header, _ = protocol.read_frame(stream, MAX_REPLY, 0)
        except EOFError:
            return
        yield header
