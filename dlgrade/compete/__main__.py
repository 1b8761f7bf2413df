"""`python -m dlgrade.compete serve|worker|export|submit|status`.

* ``serve``: the leaderboard service (run by the hub in the course root, as the course's
  grader account) with its evaluation worker in a thread;
* ``worker``: only the evaluation loop (another process next to the service);
* ``export OUT.html``: the public board as a static page;
* ``submit WEIGHTS --meta META.json`` / ``status``: a student's terminal in JupyterLab.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("dlgrade.compete")


def course_setup(root: Path, assignment: str) -> tuple[Any, Any, Path]:
    """(rules, course paths, competition.json) of the course rooted at `root`."""
    from nbgrader.coursedir import CourseDirectory

    from dlgrade.compete.rules import CompetitionRules
    from dlgrade.courses import load_config
    from dlgrade.paths import CoursePaths

    config = load_config(root)
    config.CourseDirectory.root = str(root)
    paths = CoursePaths(CourseDirectory(config=config), config=config)
    rules = CompetitionRules(config=config)
    return rules, paths, paths.graders(assignment) / "competition.json"


def database_url(rules: Any, root: Path) -> str:
    url = getattr(rules, "database_url", "") or ""
    return url or f"sqlite:///{root / 'competition.sqlite'}"


def open_store(root: Path, assignment: str) -> tuple[Any, Any, Any, Path]:
    from dlgrade.compete.store import CompetitionStore

    rules, paths, hidden = course_setup(root, assignment)
    store = CompetitionStore(database_url(rules, root), rules)
    store.upgrade()
    return store, rules, paths, hidden


def make_worker(
    store: Any, hidden_path: Path, backend: str, paths: Any = None, pin: bool = True
) -> Any:
    """The worker; its first use loads the hidden split (and pins the baselines)."""
    from dlgrade.compete.worker import Worker

    def hidden() -> Any:
        from dlgrade.compete import evaluate

        split = evaluate.load_hidden(hidden_path)
        if pin:
            pin_baselines(store, split)
        return split

    return Worker(store, hidden, backend=backend, paths=paths)


def pin_baselines(store: Any, split: Any) -> None:
    try:
        from dlgrade.compete.baselines import baseline_scores

        for name, scores in baseline_scores(split).items():
            store.pin_baseline(name, scores)
    except Exception:
        log.exception("the baselines could not be scored; the board shows none")


def bonus_writer(store: Any, rules: Any, paths: Any, assignment: str) -> Any:
    def write(by: str) -> dict:
        from dlgrade.compete import bonus

        points = bonus.bonus_points(store, rules)
        bonus.write_bonus(paths, assignment, points)
        return {"students": len(points)}

    return write


def serve(args: argparse.Namespace) -> None:
    """Listen at once (the hub waits only a few seconds for a managed service), then open
    the store and start the worker in a thread; until then every page answers 503."""
    import tornado.ioloop

    from dlgrade.compete import service

    root = Path.cwd()
    competition = service.Competition(
        store=None,
        rules=None,
        staff_groups=frozenset(args.staff_group),
        student_groups=frozenset(args.student_group),
        ready=False,
    )
    app = service.make_app(competition)
    ip, port = service.bind_address(args.url)
    service.listen(app, ip, port)
    loop = tornado.ioloop.IOLoop.current()
    workers: list[Any] = []

    def prepare() -> None:
        store, rules, paths, hidden = open_store(root, args.assignment)
        competition.store, competition.rules = store, rules
        competition.course_id = paths.coursedir.course_id
        competition.bonus = bonus_writer(store, rules, paths, args.assignment)
        if not args.no_worker:
            worker = make_worker(store, hidden, args.backend, paths)
            worker.on_change = competition.changed
            competition.wake = worker.wake.set
            worker.start()
            workers.append(worker)
        competition.ready = True
        log.info("leaderboard of %s on http://%s:%d%s", competition.course_id, ip, port,
                 app.settings["prefix"])  # fmt: skip

    def prepared(future: Any) -> None:
        if future.exception() is not None:
            log.error("the leaderboard could not start", exc_info=future.exception())
            loop.stop()  # the hub restarts a managed service that exits

    loop.add_future(loop.run_in_executor(None, prepare), prepared)
    try:
        loop.start()
    finally:
        for worker in workers:
            worker.close()
    if not competition.ready:
        sys.exit(1)


def run_worker(args: argparse.Namespace) -> None:
    store, _rules, paths, hidden = open_store(Path.cwd(), args.assignment)
    worker = make_worker(store, hidden, args.backend, paths)
    worker.run()


def export(args: argparse.Namespace) -> None:
    from dlgrade.compete.pages import write_static

    store, _rules, paths, _hidden = open_store(Path.cwd(), args.assignment)
    print(write_static(store, Path(args.out), f"Leaderboard — {paths.coursedir.course_id}"))


def submit(args: argparse.Namespace) -> int:
    from dlgrade.compete import client

    data = Path(args.weights).read_bytes()
    meta = Path(args.meta).read_bytes() if args.meta else json.dumps({"size": args.size})
    try:
        answer = client.submit_bytes(data, meta, course=args.course)
    except client.SubmitError as err:
        print(f"refused: {err}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=1))
    if answer.get("status") == "rejected":
        print(f"rejected: {answer.get('reason')}", file=sys.stderr)
        return 1
    return 0


def status(args: argparse.Namespace) -> int:
    from dlgrade.compete import client

    try:
        answer = client.status(args.id, course=args.course)
    except client.SubmitError as err:
        print(str(err), file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=1))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m dlgrade.compete", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("serve", "worker", "export"):
        s = sub.add_parser(name)
        s.add_argument("--assignment", default="represent")
        s.add_argument("--backend", default="local", help="the sandbox backend of evaluations")
        if name == "serve":
            s.add_argument("--staff-group", action="append", default=[])
            s.add_argument("--student-group", action="append", default=[])
            s.add_argument("--url", default=None, help="listen here (default "
                           "$JUPYTERHUB_SERVICE_URL)")  # fmt: skip
            s.add_argument("--no-worker", action="store_true")
        if name == "export":
            s.add_argument("out")
    s = sub.add_parser("submit", help="upload a safetensors file and its metadata JSON")
    s.add_argument("weights")
    s.add_argument("--meta", default="", help='JSON {"size": ..., "hyperparams": {...}}')
    s.add_argument("--size", default="small", help="the size, when no --meta is given")
    s.add_argument("--course", default=None)
    s = sub.add_parser("status", help="your submissions as the board shows them")
    s.add_argument("id", nargs="?", type=int, default=None)
    s.add_argument("--course", default=None)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s %(name)s] %(message)s")
    handler = {"serve": serve, "worker": run_worker, "export": export,
               "submit": submit, "status": status}[args.command]  # fmt: skip
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
