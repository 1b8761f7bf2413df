"""What each viewer sees: pseudonyms, the Ladder's rounded scores, own submissions,
private scores only for staff until the reveal, the freeze, deterministic ranks."""

from __future__ import annotations

import json

import pytest

from dlgrade.compete.board import HIDDEN, Viewer, board, history

STAFF = Viewer("prof", True)


@pytest.fixture
def play(store, scores, clock):
    """`play(user, public, private=None, hours=0)`: a submission scored at that time."""

    def make(user, public, private=None, hours=0.0):
        sid = store.add_submission(user, b"w", "small", {}, now=clock(hours))
        assert store.claim_next().id == sid
        store.record_scores(sid, scores(public, private), now=clock(hours))
        return sid

    return make


def student(name):
    return Viewer(name, False)


def text_of(view) -> str:
    return json.dumps(view.to_json())


def test_students_see_pseudonyms_rounded_ladder_scores_and_baselines(store, play, scores):
    store.set_pseudonym("user_alice", "Zebra")
    play("user_alice", 0.8012)
    play("user_alice", 0.8090)  # within the margin: the board keeps 0.80
    play("user_bob", 0.7)
    store.pin_baseline("PCA", scores(0.7512))
    store.add_rejected("user_carol", "not safetensors")
    view = board(store, student("user_bob"))
    text = text_of(view)
    assert "user_alice" not in text and "user_carol" not in text
    rows = [(r["rank"], r["name"], r["probe_public"], r["baseline"]) for r in view.public]
    assert rows == [(1, "Zebra", 0.8, False), (None, "PCA", 0.75, True),
                    (2, "anonymous-2", 0.7, False)]  # fmt: skip
    assert view.public[0]["entries"] == 2 and view.public[2]["mine"]
    assert "probe_private" not in text and view.private is None
    assert all("users" not in r for r in view.public)


def test_own_submissions_show_status_reason_and_exact_scores(store, play):
    play("alice", 0.80123)
    store.add_rejected("alice", "the header is not safetensors")
    play("bob", 0.9)
    store.add_submission("alice", b"w", "small", {})
    mine = board(store, student("alice")).mine
    assert [(m["status"], m["reason"]) for m in mine] == [
        ("scored", ""), ("rejected", "the header is not safetensors"), ("queued", ""),
    ]  # fmt: skip
    assert mine[0]["probe_public"] == 0.80123 and "probe_private" not in mine[0]
    assert all(m["user"] == "alice" for m in mine)


def test_staff_see_everything_live(store, play, scores):
    play("alice", 0.80123, 0.7)
    store.pin_baseline("PCA", scores(0.6, 0.65))
    view = board(store, STAFF)
    top = view.public[0]
    assert top["users"] == ["alice"] and top["probe_public_exact"] == 0.80123
    assert top["probe_private"] == 0.7 and top["probe_public"] == 0.8
    assert [r["name"] for r in view.private] == ["anonymous-1", "PCA"]
    assert view.private[0]["probe_private"] == 0.7 and view.mine[0]["probe_private"] == 0.7


def test_ties_go_to_the_earlier_submission(store, play):
    play("late", 0.801, hours=0)
    play("early", 0.5, hours=0)
    play("early", 0.803, hours=1)  # shown 0.80 like late's, but submitted later
    play("third", 0.799, hours=2)  # rounds to 0.80 as well
    names = [r["name"] for r in board(store, student("x")).public]
    assert names == ["anonymous-1", "anonymous-2", "anonymous-3"]


def test_teams_share_one_row_named_by_their_pseudonyms(store, play):
    store.set_pseudonym("alice", "Ant")
    store.set_pseudonym("bob", "Bee")
    store.form_team("alice", "bob")
    store.form_team("bob", "alice")
    play("alice", 0.7)
    play("bob", 0.75)
    view = board(store, student("bob"))
    assert [(r["name"], r["probe_public"], r["mine"]) for r in view.public] == [
        ("Ant & Bee", 0.75, True)
    ]
    assert [m["user"] for m in view.mine] == ["alice", "bob"]
    assert view.me["team"] == ["alice", "bob"]


def test_freeze_shows_the_board_of_the_freeze_start(store, rules, play, clock):
    rules.deadline, rules.freeze_hours = clock(48).isoformat(), 24
    play("alice", 0.70, hours=1)
    play("bob", 0.65, hours=2)
    play("bob", 0.90, hours=30)  # during the freeze
    play("carol", 0.80, hours=30)
    view = board(store, student("bob"), now=clock(31))
    assert view.frozen and not view.revealed
    assert [(r["name"], r["probe_public"]) for r in view.public] == [
        ("anonymous-1", 0.7), ("anonymous-2", 0.65),
    ]  # fmt: skip
    hidden = view.mine[1]
    assert hidden["probe_public"] is None and hidden["note"] == HIDDEN
    assert view.mine[0]["probe_public"] == 0.65
    live = board(store, STAFF, now=clock(31))
    assert [r["probe_public"] for r in live.public] == [0.9, 0.8, 0.7]
    before = board(store, student("bob"), now=clock(23))
    assert not before.frozen and before.public[0]["probe_public"] == 0.9


def test_reveal_ranks_final_selections_privately(store, rules, play, clock):
    rules.deadline = clock(10).isoformat()
    a1 = play("alice", 0.90, 0.70)  # best public, poor private: overfitted
    play("alice", 0.85, 0.72)
    a3 = play("alice", 0.60, 0.95)  # never among the best public two
    play("bob", 0.80, 0.80)
    play("carol", 0.70, 0.71)
    store.select_final("carol", [], now=clock(1))
    view = board(store, student("bob"), now=clock(11))
    assert view.private is None and view.frozen
    store.reveal_private("prof", now=clock(11))
    view = board(store, student("bob"), now=clock(12))
    assert view.revealed and not view.frozen
    ranking = [(r["rank"], r["name"], r["probe_private"]) for r in view.private]
    # alice's default finals are her two best public ones (0.70, 0.72), not a3
    assert ranking == [(1, "anonymous-2", 0.8), (2, "anonymous-1", 0.72),
                       (3, "anonymous-3", 0.71)]  # fmt: skip
    assert "alice" not in text_of(view)
    mine = board(store, student("alice"), now=clock(12)).mine
    assert [m["final"] for m in mine] == [True, True, False]
    assert mine[2]["probe_private"] == 0.95  # after the reveal, own private scores
    assert a1 and a3


def test_explicit_final_selection_decides_the_private_rank(store, rules, play):
    play("alice", 0.90, 0.70)
    a3 = play("alice", 0.60, 0.95)
    play("bob", 0.80, 0.80)
    store.select_final("alice", [a3])
    store.reveal_private("prof")
    view = board(store, student("bob"))
    assert [(r["name"], r["selected"]) for r in view.private if not r["baseline"]] == [
        ("anonymous-1", True), ("anonymous-2", False),
    ]  # fmt: skip


def test_history_follows_the_ladder_and_the_freeze(store, rules, play, clock):
    rules.deadline = clock(48).isoformat()
    play("alice", 0.70, hours=1)
    play("alice", 0.705, hours=2)  # within the margin: no step
    play("alice", 0.75, hours=3)
    play("alice", 0.85, hours=30)  # during the freeze
    points = history(store, student("bob"), now=clock(31))
    assert [(p["name"], p["score"]) for p in points] == [("anonymous-1", 0.7),
                                                         ("anonymous-1", 0.75)]  # fmt: skip
    assert points[0]["time"] == clock(1).isoformat() and "exact" not in points[0]
    staff = history(store, STAFF, now=clock(31))
    assert [p["exact"] for p in staff] == [0.70, 0.75, 0.85]


def test_board_json_is_plain_json(store, play):
    play("alice", 0.5)
    data = json.loads(text_of(board(store, student("alice"))))
    keys = {"public", "private", "mine", "me", "frozen", "revealed", "rules", "columns"}
    assert keys <= set(data)
    assert data["me"]["left_total"] == 39 and data["columns"][2]["key"] == "probe_public"
