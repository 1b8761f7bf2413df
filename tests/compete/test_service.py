"""The leaderboard service over real HTTP on loopback, authenticated by a real (throwaway)
JupyterHub: its users' tokens are checked by the hub exactly as a student server's token
is on the course hub (`dlgrade.compete.localhub`). The browser's OAuth login is the e2e
test's (tests/e2e/test_competition.py)."""

from __future__ import annotations

import asyncio
import io
import json
import pickle
import re
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch

from dlgrade.compete import baselines, client, evaluate, weights
from dlgrade.compete.localhub import LocalHub, get_json
from tests.compete.leaks import private_values

STUDENTS = ["alice", "bob", "carol"]
STAFF = "prof"
OUTSIDER = "eve"
MEMBERS = {
    "alice": ["nbgrader-x"],
    "bob": ["nbgrader-x"],
    "carol": ["nbgrader-x"],
    "prof": ["formgrade-x"],
    "eve": [],
}
DAILY_CAP = 5


class Served:
    """The hub, the service in a thread of this process, and its worker (run by hand)."""

    def __init__(self, tmp: Path, hidden, backend) -> None:
        from dlgrade.compete import service
        from dlgrade.compete.rules import CompetitionRules
        from dlgrade.compete.store import CompetitionStore
        from dlgrade.compete.worker import Worker

        self.hub = LocalHub(tmp / "hub", MEMBERS, ["nbgrader-x", "formgrade-x"], "compete-x")
        self.hub.start()
        self.rules = CompetitionRules(daily_cap=DAILY_CAP)
        self.store = CompetitionStore(f"sqlite:///{tmp / 'competition.sqlite'}", self.rules)
        self.store.upgrade()
        self.competition = service.Competition(
            self.store,
            self.rules,
            frozenset({"formgrade-x"}),
            frozenset({"nbgrader-x"}),
            course_id="x",
        )
        self.worker = Worker(self.store, hidden, backend=backend)
        self.worker.on_change = self.competition.changed
        self.loop: asyncio.AbstractEventLoop | None = None
        ready = threading.Event()

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            app = service.make_app(self.competition, self.hub.prefix, self.hub.hub_auth())
            self.server = service.listen(app, "127.0.0.1", self.hub.service_port)
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(30)
        self.url = self.hub.service_url

    def token(self, user: str) -> str:
        return self.hub.tokens[user]

    def get(self, user: str | None, path: str) -> tuple[int, object]:
        return get_json(self.url + path, self.token(user) if user else "")

    def raw(self, user: str, path: str) -> tuple[int, dict, str]:
        req = urllib.request.Request(
            self.url + path, headers={"Authorization": f"token {self.token(user)}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()

    def submit(self, user: str, data: bytes, meta: dict) -> dict:
        try:
            return client.submit_bytes(data, meta, url=self.url, api_token=self.token(user))
        except client.SubmitError as err:
            return {"error": err.status, **err.answer}

    def post(self, user: str, path: str, body: dict | None = None) -> int:
        try:
            client.request(
                "POST", path, json.dumps(body or {}).encode(), "application/json",
                url=self.url, api_token=self.token(user),
            )  # fmt: skip
            return 200
        except client.SubmitError as err:
            return err.status

    def close(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.hub.stop()


@pytest.fixture(scope="module")
def served(tmp_path_factory, hidden, local_backend):
    s = Served(tmp_path_factory.mktemp("board"), hidden, local_backend)
    yield s
    s.close()


def good_bytes(seed: int = 1, size: str = "small") -> bytes:
    return weights.save_encoder(baselines.random_encoder(size, seed=seed))


def bad_files() -> dict[str, tuple[bytes, dict, str]]:
    """name → (bytes, meta, a word the reason must hold)."""
    nan = baselines.random_encoder("small", seed=2)
    with torch.no_grad():
        nan.fc.weight[0, 0] = float("nan")
    buf = io.BytesIO()
    pickle.dump({"fc.weight": np.zeros(3)}, buf)
    zipped = io.BytesIO()
    torch.save(baselines.random_encoder("small").state_dict(), zipped)
    return {
        "nan": (weights.save_encoder(nan), {"size": "small"}, "nan"),
        "pickle": (buf.getvalue(), {"size": "small"}, "pickle"),
        "torch.save": (zipped.getvalue(), {"size": "small"}, "zip"),
        "wrong size": (good_bytes(), {"size": "large"}, "size"),
        "oversized": (b"\0" * (weights.MAX_WEIGHTS_BYTES + 10), {"size": "small"}, "bytes"),
    }


def test_tokens_decide_who_enters(served):
    """Is the API closed to requests without a token, to a hub user outside the course and
    to a made-up token, and open to the course's students and staff?"""
    assert served.get(None, "api/board")[0] == 403
    assert get_json(served.url + "api/board", "not-a-token")[0] == 403
    assert served.get(OUTSIDER, "api/board")[0] == 403
    for user in [*STUDENTS, STAFF]:
        assert served.get(user, "api/board")[0] == 200, user
    assert get_json(served.url + "api/health", "")[0] == 200


def test_good_submission_is_queued_and_scored(served):
    """Does a good upload come back queued, get evaluated in the sandbox by the worker,
    and show as scored (public scores rounded) in its owner's submissions?"""
    answer = served.submit("alice", good_bytes(1), {"size": "small", "hyperparams": {"lr": 1e-3}})
    assert answer["status"] == "queued", answer
    assert served.get("alice", f"api/submissions/{answer['id']}")[1]["status"] in (
        "queued",
        "evaluating",
    )
    assert served.worker.drain(300) >= 1
    status, mine = served.get("alice", f"api/submissions/{answer['id']}")
    assert status == 200 and mine["status"] == "scored", mine
    assert served.get("bob", f"api/submissions/{answer['id']}")[0] == 404


@pytest.mark.parametrize("name", list(bad_files()))
def test_bad_submission_is_rejected_with_a_reason(served, name):
    """Is each bad file (NaN weights, a pickle, torch.save's zip, the wrong architecture,
    an oversized file) rejected at upload with a reason naming the defect, and listed with
    it among the student's submissions?"""
    data, meta, word = bad_files()[name]
    answer = served.submit("bob", data, meta)
    assert answer["status"] == "rejected", answer
    assert word in answer["reason"].lower(), answer["reason"]
    mine = served.get("bob", f"api/submissions/{answer['id']}")[1]
    assert mine["status"] == "rejected" and word in str(mine.get("reason", "")).lower()


def test_daily_cap_refuses_the_sixth_and_rejections_do_not_count(served):
    """Do rejected uploads leave the daily cap alone, five good ones pass, and is the
    sixth refused with the cap named?"""
    for _ in range(2):
        assert served.submit("carol", b"not a file", {"size": "small"})["status"] == "rejected"
    for i in range(DAILY_CAP):
        assert served.submit("carol", good_bytes(10 + i), {"size": "small"})["status"] == "queued"
    sixth = served.submit("carol", good_bytes(99), {"size": "small"})
    assert sixth["error"] == 429 and sixth["status"] == "refused", sixth
    assert re.search(r"\b5\b|daily|day", sixth["reason"]), sixth["reason"]


def endpoints(served, user: str) -> dict[str, str]:
    """Every GET endpoint's body as `user` sees it."""
    paths = ["", "api/board", "api/history", "api/submissions", "history.svg"]
    ids = [s.get("id") for s in served.get(user, "api/submissions")[1].get("submissions", [])]
    paths += [f"api/submissions/{i}" for i in ids[:3]]
    return {p: served.raw(user, p)[2] for p in paths}


def secrets_of(hidden) -> list[str]:
    config = json.loads(evaluate.default_config_path().read_text())
    seeds = [config["probe"]["seed"], config["test"]["seed"], config["public_seed"]]
    labels = [json.dumps(hidden.test_y[:12].tolist()), json.dumps(hidden.probe_y[:12].tolist())]
    labels += [",".join(map(str, hidden.test_y[:12].tolist()))]
    return [str(s) for s in seeds] + labels


def test_no_hidden_data_in_any_answer(served, hidden):
    """For every role and every endpoint: no hidden seed or label sequence; before the
    reveal no student answer holds another student's user name or a private score."""
    if not served.store.submissions_of("alice"):
        served.submit("alice", good_bytes(1), {"size": "small"})
    served.worker.drain(300)
    forbidden = secrets_of(hidden)
    for user in [*STUDENTS, STAFF]:
        for path, body in endpoints(served, user).items():
            for s in forbidden:
                assert s not in body, (user, path, s)
            if user != STAFF:
                for other in STUDENTS:
                    if other != user:
                        assert other not in body, (user, path, other)
                if path.startswith("api/"):
                    assert private_values(json.loads(body), []) == [], (user, path)
    staff_board = served.get(STAFF, "api/board")[1]
    assert "alice" in json.dumps(staff_board)
    assert private_values(staff_board, []), "staff see the private scores"


def test_pages_carry_no_inline_script(served):
    """Is the board page an autoescaped page under the service's CSP, with its sort script
    a file of the service's own static path, and the history plot an SVG?"""
    status, headers, page = served.raw("alice", "")
    assert status == 200
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    assert re.findall(r"<script[^>]*>", page) == [
        f'<script src="{served.hub.prefix}static/board.js" defer>'
    ]
    assert "</script>" in page and not re.search(r"<script[^>]*>[^<]+</script>", page)
    assert 'id="public-board"' in page and 'id="own-submissions"' in page
    assert served.raw("alice", "static/board.js")[0] == 200
    status, headers, svg = served.raw("alice", "history.svg")
    assert status == 200 and headers["Content-Type"].startswith("image/svg+xml")
    assert svg.startswith("<svg") and "<script" not in svg


def test_notebook_call_pseudonym_and_final_selection(served):
    """Does `client.submit(encoder, hyperparams)` (the notebook's call) queue the encoder;
    does a chosen pseudonym replace the default on the public board; may a student select
    their own scored submission as final, and not another student's?"""
    answer = client.submit(
        baselines.random_encoder("small", seed=21), {"loss": "simclr"},
        url=served.url, api_token=served.token("alice"),
    )  # fmt: skip
    assert answer["status"] == "queued", answer
    served.worker.drain(300)
    assert served.post("alice", "api/pseudonym", {"pseudonym": "owl-team"}) == 200
    names = [r["name"] for r in served.get("carol", "api/board")[1]["public"]]
    assert "owl-team" in names
    mine = served.get("alice", "api/submissions")[1]["submissions"]
    scored = [s["id"] for s in mine if s["status"] == "scored"]
    assert served.post("alice", "api/final", {"ids": scored[:1]}) == 200
    theirs = [s["id"] for s in served.get("bob", "api/submissions")[1]["submissions"]]
    assert served.post("alice", "api/final", {"ids": theirs[:1]}) == 400
    rows = served.get("alice", "api/submissions")[1]["submissions"]
    assert [r["id"] for r in rows if r.get("selected")] == scored[:1]


def test_only_staff_reveal_and_then_students_see_the_private_board(served):
    """Is the reveal refused to a student, done by the instructor, and then is the private
    board part of every student's board?"""
    mine = served.get("alice", "api/submissions")[1]["submissions"]
    if not any(s["status"] == "scored" for s in mine):  # run alone: give the board a row
        served.submit("alice", good_bytes(1), {"size": "small"})
        assert served.worker.drain(300) >= 1
    assert served.post("alice", "api/reveal") == 403
    assert served.post(STAFF, "api/reveal") == 200
    board = served.get("bob", "api/board")[1]
    assert private_values(board, []), board
    assert "alice" not in json.dumps(board)


def test_hub_config_registers_the_leaderboard(tmp_path):
    """Does a course whose assignments include the competition get the managed service
    compete-<course_id>, run as its grader account in its course root with its staff and
    student groups, that both groups (and their servers' tokens) may open, and do the
    users' servers learn its address?"""
    from dlgrade.hub.roster import Member
    from dlgrade.hub.settings import CourseSource, HubSettings, plan
    from dlgrade.hub.template import render

    repo = Path(__file__).resolve().parents[2]
    members = [Member("prof", "instructor"), Member("s1", "student"), Member("s2", "student")]
    p = plan(HubSettings(state_dir=str(tmp_path)), [CourseSource("dl-x", repo, "", ("represent",))])
    config = __import__("traitlets.config", fromlist=["Config"]).Config()
    exec(compile(render(p, members, "tok"), "jupyterhub_config.py", "exec"),
         {"get_config": lambda: config})  # fmt: skip
    services = {s["name"]: s for s in config.JupyterHub.services}
    board = services["compete-dl-x"]
    c = p.courses[0]
    assert board["user"] == "grader-dl-x" and board["cwd"] == str(c.course_root)
    assert board["url"] == f"http://127.0.0.1:{c.compete_port}"
    assert board["command"][1:4] == ["-m", "dlgrade.compete", "serve"]
    assert "--staff-group=formgrade-dl-x" in board["command"]
    assert "--student-group=nbgrader-dl-x" in board["command"]
    roles = {r["name"]: r for r in config.JupyterHub.load_roles}
    for group in ("formgrade-dl-x", "nbgrader-dl-x"):
        assert "access:services!service=compete-dl-x" in roles[group]["scopes"]
    assert roles["server"]["scopes"] == ["inherit"]  # a server's token acts as its user
    urls = json.loads(config.Spawner.environment["DLGRADE_COMPETITIONS"])
    assert urls == {"dl-x": f"http://127.0.0.1:{c.compete_port}/services/compete-dl-x/"}
    # a course without the competition assignment has no leaderboard
    q = plan(HubSettings(state_dir=str(tmp_path)), [CourseSource("dl-y", repo, "", ("intro",))])
    assert "compete-dl-y" not in render(q, members, "tok")


def test_worker_survives_a_bad_queued_submission(served):
    """Does the worker check a queued submission's bytes again (a row that bypassed the
    upload check is rejected with the reason), go on to the next one, and requeue a claim
    that went stale?"""
    store = served.store
    bad = store.add_submission("bob", b"\x80\x04garbage", "small", {})
    good = store.add_submission("bob", good_bytes(5), "small", {})
    assert served.worker.drain(300) >= 2
    rows = {s.id: s for s in store.submissions_of("bob")}
    assert rows[bad].status == "rejected" and "pickle" in rows[bad].reason
    assert rows[good].status == "scored"
    stale = store.add_submission("bob", good_bytes(6), "small", {})
    assert store.claim_next().id == stale
    served.worker.stale_s = 0.0
    served.worker.requeue()
    assert {s.id: s.status for s in store.submissions_of("bob")}[stale] == "queued"
    served.worker.drain(300)
    assert {s.id: s.status for s in store.submissions_of("bob")}[stale] == "scored"


def test_static_export_is_the_public_board(served, tmp_path):
    """Is the static board one self-contained page (style and plot inline, no script) with
    the public board and no user name?"""
    from dlgrade.compete.pages import write_static

    page = write_static(served.store, tmp_path / "board.html").read_text()
    assert 'id="public-board"' in page and "<svg" in page and "<style>" in page
    assert "<script" not in page and 'id="own-submissions"' not in page
    for user in [*STUDENTS, STAFF]:
        assert user not in page


def test_client_finds_its_competition(monkeypatch):
    """Does the client take the course's leaderboard from the server's environment (the
    only one, or the one named), and say what is missing otherwise?"""
    urls = {"dl-a": "http://127.0.0.1:1/services/compete-dl-a/", "dl-b": "http://h:2/x"}
    monkeypatch.delenv("DLGRADE_COMPETE_URL", raising=False)
    monkeypatch.setenv("DLGRADE_COMPETITIONS", json.dumps({"dl-a": urls["dl-a"]}))
    assert client.service_url() == urls["dl-a"]
    monkeypatch.setenv("DLGRADE_COMPETITIONS", json.dumps(urls))
    assert client.service_url("dl-b") == "http://h:2/x/"
    with pytest.raises(client.SubmitError, match="dl-a, dl-b"):
        client.service_url()
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    with pytest.raises(client.SubmitError, match="JUPYTERHUB_API_TOKEN"):
        client.token()
    assert client.size_of(baselines.random_encoder("medium")) == "medium"
