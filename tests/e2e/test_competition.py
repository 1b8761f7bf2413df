"""The representation-learning competition on a real JupyterHub, in headless Chromium: the
leaderboard runs as the hub's managed service compete-<course_id> (as the course's grader
account, its worker evaluating in the sandbox); students submit from a terminal of their
own JupyterLab with their server's hub token; the instructor reveals and writes the bonus."""

from __future__ import annotations

import csv
import io
import json
import os
import pickle
import pwd
import re
import secrets
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import ARTIFACTS, REPO, require_tools
from hubdriver import RUN_TIMEOUT, HubUser, wait_for_lab
from playwright.sync_api import expect

from dlgrade.hub.course import as_grader
from dlgrade.hub.hub import CourseHub
from dlgrade.hub.roster import Member
from dlgrade.hub.settings import CourseSource, HubSettings, plan
from tests.compete.leaks import private_values

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ASSIGNMENT = "represent"
EVAL_TIMEOUT_S = 400


@dataclass
class CompetitionHub:
    hub: CourseHub
    passwords: dict[str, str]
    instructor: str
    students: list[str]  # alice, bob, carol

    @property
    def course(self):
        return self.hub.plan.courses[0]

    @property
    def board(self) -> str:
        return f"/services/{self.course.compete_service}/"

    @property
    def direct(self) -> str:
        return f"http://127.0.0.1:{self.course.compete_port}{self.board}"


def wait_for_service(url: str, hub: CourseHub, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "api/health", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"the leaderboard did not start:\n{hub.log_tail(60)}")


@pytest.fixture(scope="module")
def competition_hub() -> Iterator[CompetitionHub]:
    """A hub of one fresh course with the competition assignment: an instructor, three
    students; accounts, homes and state removed afterwards."""
    require_tools()
    if not (REPO / "graders" / ASSIGNMENT / "competition.json").is_file():
        pytest.fail(f"graders/{ASSIGNMENT}/competition.json is missing")
    tag = f"e2c{secrets.token_hex(3)}"
    state = Path(tempfile.mkdtemp(prefix=f"dlgrade-{tag}-"))
    state.chmod(0o755)
    roles = {f"{tag}-prof": "instructor", f"{tag}-alice": "student", f"{tag}-bob": "student",
             f"{tag}-carol": "student"}  # fmt: skip
    members = [
        Member(n, r, n.split("-")[1].title(), "E2e", courses=(tag,)) for n, r in roles.items()
    ]
    settings = HubSettings(port=0, state_dir=str(state), tag=tag, start_timeout=180)
    hub = CourseHub(plan(settings, [CourseSource(tag, REPO, "", (ASSIGNMENT,))]), members)
    try:
        passwords = hub.provision()
        hub.start()
        ch = CompetitionHub(hub, passwords, f"{tag}-prof", [f"{tag}-{s}" for s in
                            ("alice", "bob", "carol")])  # fmt: skip
        wait_for_service(ch.direct, hub)
        yield ch
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if hub.plan.log_file.exists():
            shutil.copyfile(hub.plan.log_file, ARTIFACTS / "jupyterhub-competition.log")
        hub.teardown()


def home(user: str) -> Path:
    return Path(pwd.getpwnam(user).pw_dir)


def give(user: str, files: dict[str, bytes]) -> None:
    """Files in the user's home, owned by the user (what they trained and saved)."""
    entry = pwd.getpwnam(user)
    for name, data in files.items():
        path = home(user) / name
        path.write_bytes(data)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def encoder_files(seed: int) -> dict[str, bytes]:
    from dlgrade.compete import baselines, weights

    blob = weights.save_encoder(baselines.random_encoder("small", seed=seed))
    meta = json.dumps({"size": "small", "hyperparams": {"seed": seed}}).encode()
    return {f"enc{seed}.safetensors": blob, f"enc{seed}.json": meta}


def in_terminal(user: HubUser, command: str, timeout_s: float = 300) -> tuple[int, str]:
    """Run `command` from a terminal of the user's own JupyterLab (a new one unless one is
    open): the test writes it as a script into the user's home, the student types
    `bash <script>`; returns (exit status, output), which the script writes beside it."""
    page = user.page
    terminal = page.locator(".jp-Terminal:visible .xterm")
    if "/lab" not in page.url or terminal.count() != 1:
        page.goto(f"{user.hub_url}/user/{user.username}/lab")
        wait_for_lab(page)
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="File").click()
        page.locator("#jp-mainmenu-file li[data-type='submenu']", has_text="New").hover()
        page.locator("li[data-command='terminal:create-new']").click()
        expect(terminal).to_have_count(1)
        expect(terminal).to_be_visible()
        page.wait_for_timeout(2000)  # the terminal's websocket and prompt
    token = secrets.token_hex(3)
    folder = home(user.username)
    done, out = folder / f".rc-{token}", folder / f".out-{token}"
    script = f".cmd-{token}.sh"
    give(
        user.username, {script: f"({command}) > {out.name} 2>&1; echo $? > {done.name}\n".encode()}
    )
    for _ in range(3):  # keystrokes sent before the terminal is ready are lost
        terminal.click()
        page.keyboard.type(f"bash {script}\n", delay=20)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not out.exists():
            page.wait_for_timeout(300)
        if out.exists():
            break
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if done.exists() and done.read_text().strip():
            return int(done.read_text().strip()), out.read_text(errors="replace")
        page.wait_for_timeout(500)
    user.shot("terminal-timeout")
    raise AssertionError(f"terminal command did not finish in {timeout_s} s: {command}")


def open_board(user: HubUser, ch: CompetitionHub) -> None:
    """The board page: the first visit logs the user in to the service (hub OAuth)."""
    user.page.goto(f"{user.hub_url}{ch.board}")
    expect(user.page.locator("#public-board")).to_be_attached()


def board_json(user: HubUser, ch: CompetitionHub, path: str = "api/board") -> dict:
    """The API's answer with the browser's cookies (the service's OAuth cookie)."""
    response = user.context.request.get(f"{user.hub_url}{ch.board}{path}")
    assert response.status == 200, (path, response.status, response.text()[:300])
    return response.json()


def wait_scored(user: HubUser, ch: CompetitionHub, count: int) -> list[dict]:
    """Reload the board until `count` of the user's submissions are scored or rejected."""
    deadline = time.monotonic() + EVAL_TIMEOUT_S
    while time.monotonic() < deadline:
        subs = board_json(user, ch, "api/submissions")["submissions"]
        if sum(s.get("status") in ("scored", "rejected") for s in subs) >= count:
            return subs
        time.sleep(3)
    raise AssertionError(f"not evaluated in {EVAL_TIMEOUT_S} s: {subs}")


def test_competition(competition_hub, browser, shots):
    """Do two students submit from their JupyterLab (one good, one bad) and see their
    scores and the public board; is a sixth submission of the day refused; does a third
    student see no one else's name or private score; does the instructor reveal the
    private board and write the bonus, which reaches the gradebook and the LMS exports?"""
    ch = competition_hub
    url = ch.hub.plan.url
    a_name, b_name, c_name = ch.students
    users: dict[str, HubUser] = {}

    def user(name: str) -> HubUser:
        users[name] = HubUser(browser, url, name, ch.passwords[name], shots)
        users[name].login()
        return users[name]

    try:
        # 1. Alice submits a good encoder, Bob a pickle, each from a terminal of their lab.
        give(a_name, encoder_files(1))
        buf = io.BytesIO()
        pickle.dump({"w": np.zeros(3)}, buf)
        give(b_name, {"model.safetensors": buf.getvalue(),
                      "meta.json": b'{"size": "small"}'})  # fmt: skip
        alice, bob = user(a_name), user(b_name)
        rc, out = in_terminal(alice, "python -m dlgrade.compete submit enc1.safetensors "
                              "--meta enc1.json")  # fmt: skip
        assert rc == 0 and '"queued"' in out, out
        alice.shot("submitted")
        rc, out = in_terminal(bob, "python -m dlgrade.compete submit model.safetensors "
                              "--meta meta.json")  # fmt: skip
        assert rc == 1 and "pickle" in out.lower(), out
        bob.shot("rejected")

        # 2. The worker evaluates Alice's in the sandbox; both see their own status.
        open_board(alice, ch)
        mine = wait_scored(alice, ch, 1)
        assert mine[0]["status"] == "scored", mine
        open_board(alice, ch)
        expect(alice.page.locator("#own-submissions")).to_contain_text("scored")
        expect(alice.page.locator("#public-board tbody tr").first).to_be_visible()
        alice.shot("board")
        open_board(bob, ch)
        expect(bob.page.locator("#own-submissions")).to_contain_text("rejected")
        expect(bob.page.locator("#own-submissions")).to_contain_text(re.compile("pickle", re.I))
        bob.shot("board")
        # sortable: clicking a numeric header sorts (the script is the service's file)
        alice.page.locator("#public-board th[data-kind='number']").first.click()
        expect(alice.page.locator("#public-board th[aria-sort]")).to_have_count(1)

        # 3. Four more good ones pass; the sixth of the day is refused, naming the cap.
        files: dict[str, bytes] = {}
        for seed in range(2, 7):
            files |= encoder_files(seed)
        give(a_name, files)
        loop = " ; ".join(
            f"python -m dlgrade.compete submit enc{s}.safetensors --meta enc{s}.json; echo RC$?"
            for s in range(2, 7)
        )
        rc, out = in_terminal(alice, loop)
        assert re.findall(r"RC(\d)", out) == ["0", "0", "0", "0", "2"], out
        assert "429" in out, out
        alice.shot("cap")

        # 4. Carol sees the public board only: no other student's name or private score.
        carol = user(c_name)
        text = carol.visit(ch.board)
        page = carol.page.content()
        carol.shot("board")
        for other in (a_name, b_name):
            assert other not in text and other not in page
        for path in ("api/board", "api/history", "api/submissions"):
            data = board_json(carol, ch, path)
            assert private_values(data, []) == [], path
            assert a_name not in json.dumps(data) and b_name not in json.dumps(data)
        assert carol.page.locator("#private-board").count() == 0

        # 5. The instructor sees everything, reveals the private board, writes the bonus.
        prof = user(ch.instructor)
        prof.page.goto(f"{url}{ch.board}")
        expect(prof.page.locator("#own-submissions")).to_contain_text(a_name)
        expect(prof.page.locator("#private-board")).to_be_visible()
        prof.shot("staff-board")
        prof.page.locator("#reveal").click()
        expect(prof.page.locator("#revealed")).to_be_visible()
        prof.page.locator("#write-bonus").click()
        expect(prof.page.locator("#notice")).to_contain_text("bonus", timeout=RUN_TIMEOUT)
        prof.shot("revealed")
        carol.page.goto(f"{url}{ch.board}")
        expect(carol.page.locator("#private-board")).to_be_visible()
        assert private_values(board_json(carol, ch), [])

        # 6. The bonus is in nbgrader's gradebook and the Canvas and Moodle exports.
        p = ch.hub.plan
        as_grader(p, "dlgrade", "export", f"--assignment={ASSIGNMENT}", course=ch.course)
        exports = ch.course.course_root / "reports" / "exports"
        for kind in ("canvas", "moodle"):
            found = sorted(exports.glob(f"{kind}-*.csv"))
            assert found, f"no {kind} export in {exports}"
            rows = list(csv.reader(io.StringIO(found[-1].read_text(encoding="utf-8"))))
            alice_rows = [r for r in rows if any(a_name in cell for cell in r)]
            assert alice_rows, (kind, rows[:3])
            numbers = [float(c) for c in alice_rows[0] if re.fullmatch(r"\d+(\.\d+)?", c)]
            assert any(n > 0 for n in numbers), (kind, alice_rows[0])
    finally:
        for u in users.values():
            u.close()
