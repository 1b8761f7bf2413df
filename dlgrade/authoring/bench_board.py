"""The leaderboard's response time under 50 students polling it, on loopback.

A throwaway JupyterHub (`dlgrade.compete.localhub`: real token checks, no accounts) and
the leaderboard service in a child process, its store holding a simulated class (each
student a pseudonym and a few scored and rejected submissions). `pollers` concurrent
clients, each with its own student's hub token, GET `api/board` `rounds` times each
(bounded: at most `pollers` requests in flight, a 10 s timeout per request); the figures
are the latencies' p50 / p95 / max, requests per second and errors. The board page (HTML)
is measured the same way with fewer rounds.

Called by `dlgrade bench` (`Bench.run`); ``python -m dlgrade.authoring.bench_board``
measures only this part and prints its figures.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

STAFF_GROUP = "formgrade-bench"
STUDENT_GROUP = "nbgrader-bench"
TARGET_P95_MS = 250.0


def populate(store: Any, students: list[str], per_student: int, seed: int = 0) -> None:
    """Each student: a pseudonym, `per_student` submissions scored with plausible numbers
    (the store and the ladder as in the course; no evaluation), one rejected."""
    from dlgrade.compete.evaluate import Scores

    rng = random.Random(seed)
    for i, student in enumerate(students):
        try:
            store.set_pseudonym(student, f"team-{i:03d}")
        except Exception:  # noqa: BLE001 - pseudonyms are optional for the figures
            pass
        skill = rng.uniform(0.4, 0.8)
        for _ in range(per_student):
            sid = store.add_submission(student, b"\0" * 64, "small", {"lr": 1e-3})
            store.claim_next()
            acc = [min(0.99, skill + rng.gauss(0, 0.02)) for _ in range(4)]
            store.record_scores(sid, Scores(*acc, n_params=12000, eval_seconds=2.5))
        store.add_rejected(student, "the weights hold NaN")


def serve_child(folder: str, hub_state: dict, port: int, ready: Any) -> None:
    """The service process: the store in `folder`, the hub's auth, no worker."""
    import tornado.ioloop

    from dlgrade.compete import service
    from dlgrade.compete.localhub import LocalHub
    from dlgrade.compete.rules import CompetitionRules
    from dlgrade.compete.store import CompetitionStore

    hub = LocalHub.__new__(LocalHub)
    hub.__dict__.update(hub_state)
    rules = CompetitionRules(daily_cap=1000, total_cap=100000)
    store = CompetitionStore(f"sqlite:///{Path(folder) / 'competition.sqlite'}", rules)
    competition = service.Competition(
        store, rules, frozenset({STAFF_GROUP}), frozenset({STUDENT_GROUP}), course_id="bench"
    )
    app = service.make_app(competition, hub.prefix, hub.hub_auth())
    service.listen(app, "127.0.0.1", port)
    ready.set()
    tornado.ioloop.IOLoop.current().start()


async def poll(urls: list[tuple[str, str]], rounds: int, timeout_s: float) -> dict:
    """Each (url, token) polled `rounds` times by its own client, all at once."""
    from tornado.httpclient import AsyncHTTPClient, HTTPClientError

    AsyncHTTPClient.configure(None, max_clients=len(urls))
    http = AsyncHTTPClient()
    latencies: list[float] = []
    errors: list[str] = []

    async def one(url: str, token: str) -> None:
        for _ in range(rounds):
            t = time.perf_counter()
            try:
                await http.fetch(
                    url, headers={"Authorization": f"token {token}"}, request_timeout=timeout_s
                )
                latencies.append(time.perf_counter() - t)
            except (TimeoutError, HTTPClientError, OSError) as err:
                errors.append(type(err).__name__)
            await asyncio.sleep(random.uniform(0, 0.05))

    t0 = time.perf_counter()
    await asyncio.gather(*(one(u, tok) for u, tok in urls))
    wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies) or [float("nan")]
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        "max_ms": round(ms[-1], 1),
        "per_second": round(len(latencies) / wall, 1),
        "seconds": round(wall, 2),
    }


def run(pollers: int = 50, rounds: int = 20, per_student: int = 4, quick: bool = False) -> dict:
    """The figures of `pollers` students polling the board `rounds` times each."""
    from dlgrade.compete.localhub import LocalHub, free_port
    from dlgrade.compete.rules import CompetitionRules
    from dlgrade.compete.store import CompetitionStore

    if quick:
        pollers, rounds = min(pollers, 10), min(rounds, 5)
    proxy = Path(sys.executable).parent / "configurable-http-proxy"
    if not proxy.exists():
        return {"skipped": f"{proxy} is missing (make hub-deps)"}
    folder = Path(tempfile.mkdtemp(prefix="dlgrade-bench-board-"))
    students = [f"student{i:03d}" for i in range(pollers)]
    members = {s: [STUDENT_GROUP] for s in students} | {"prof": [STAFF_GROUP]}
    hub = LocalHub(folder / "hub", members, [STUDENT_GROUP, STAFF_GROUP], "compete-bench")
    rules = CompetitionRules(daily_cap=1000, total_cap=100000)
    store = CompetitionStore(f"sqlite:///{folder / 'competition.sqlite'}", rules)
    store.upgrade()
    populate(store, students, per_student)
    hub.start()
    port = hub.service_port or free_port()
    state = {k: v for k, v in hub.__dict__.items() if k not in ("process", "log")}
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    child = ctx.Process(target=serve_child, args=(str(folder), state, port, ready), daemon=True)
    child.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the leaderboard service did not start")
        base = hub.service_url
        board = [(base + "api/board", hub.tokens[s]) for s in students]
        asyncio.run(poll(board[:5], 1, 30.0))  # warm-up: each token checked by the hub once
        asyncio.run(poll(board, 1, 30.0))
        figures = {
            "pollers": pollers,
            "rounds": rounds,
            "submissions": pollers * (per_student + 1),
            "api_board": asyncio.run(poll(board, rounds, 10.0)),
            "page": asyncio.run(poll([(base, t) for _, t in board], max(1, rounds // 4), 10.0)),
            "target_p95_ms": TARGET_P95_MS,
        }
        figures["within_target"] = figures["api_board"]["p95_ms"] <= TARGET_P95_MS
        return figures
    finally:
        child.terminate()
        child.join(10)
        hub.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report_lines(figures: dict | None) -> list[str]:
    if not figures:
        return []
    if "skipped" in figures:
        return ["", f"## The leaderboard under polling: skipped, {figures['skipped']}"]
    lines = [
        "",
        f"## The leaderboard under {figures['pollers']} students polling (loopback, real hub "
        "tokens)",
        "",
        f"{figures['submissions']} submissions on the board; each student polls "
        f"{figures['rounds']} times, all at once. Target: p95 ≤ {figures['target_p95_ms']:g} ms.",
        "",
        "| endpoint | requests | errors | p50 ms | p95 ms | max ms | requests/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, key in (("api/board (JSON)", "api_board"), ("board page (HTML)", "page")):
        f = figures[key]
        lines.append(
            f"| {name} | {f['requests']} | {f['errors']} | {f['p50_ms']} | {f['p95_ms']} | "
            f"{f['max_ms']} | {f['per_second']} |"
        )
    return lines


if __name__ == "__main__":
    from dlgrade.authoring.bench_report import merge_section

    result = run(quick="--quick" in sys.argv)
    if "--quick" not in sys.argv:
        merge_section(Path.cwd() / "bench", "board", result)
    print("\n".join(report_lines(result)))
