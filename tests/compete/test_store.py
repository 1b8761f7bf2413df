"""The competition's database, on SQLite and on a throwaway PostgreSQL cluster: schema by
Alembic, caps (day boundary, teams, rejected submissions), the queue, finals, the reveal."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from dlgrade.compete.models import Base
from dlgrade.compete.store import MAX_ATTEMPTS, CapReached, CompetitionStore


def submit(store, user, now, n=1):
    return [store.add_submission(user, b"weights", "small", {}, now=now) for _ in range(n)]


def test_upgrade_gives_the_models_schema_and_is_idempotent(store):
    store.upgrade()  # a second time: nothing to do
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert context.get_current_revision() == "0001"
        tables = set(inspect(conn).get_table_names())
    assert {"teams", "competitors", "submissions", "baselines", "state"} <= tables


def test_weights_and_timestamps_round_trip(store, clock):
    when = clock().astimezone(__import__("datetime").timezone(timedelta(hours=2)))
    sid = store.add_submission("alice", b"\x00\xff" * 1000, "small", {"lr": 0.1}, now=when)
    claimed = store.claim_next()
    assert (claimed.id, claimed.user, claimed.size) == (sid, "alice", "small")
    assert claimed.weights == b"\x00\xff" * 1000 and claimed.hyperparams == {"lr": 0.1}
    (view,) = store.submissions_of("alice")
    assert view.created_at == clock() and view.created_at.tzinfo == UTC
    assert view.status == "evaluating"


def test_daily_cap_resets_at_midnight_utc(store, rules, clock):
    late = clock(13.5)  # 23:30 UTC
    submit(store, "alice", late, rules.daily_cap)
    with pytest.raises(CapReached) as refused:
        submit(store, "alice", late + timedelta(minutes=20))
    assert refused.value.cap == "daily"
    assert refused.value.resets_at == clock(14)  # 00:00 UTC the next day
    assert "daily cap" in refused.value.reason and "2026-12-02 00:00 UTC" in str(refused.value)
    submit(store, "alice", clock(14))  # the next UTC day
    submit(store, "bob", late)  # another student's cap is their own


def test_total_cap_never_resets(store, rules, clock):
    rules.total_cap, rules.daily_cap = 3, 2
    submit(store, "alice", clock(), 2)
    submit(store, "alice", clock(24))
    with pytest.raises(CapReached) as refused:
        submit(store, "alice", clock(48))
    assert refused.value.cap == "total" and refused.value.resets_at is None
    assert "all 3 submissions" in refused.value.reason


def test_rejected_submissions_never_count(store, rules, clock):
    rules.daily_cap = 2
    for _ in range(5):
        store.add_rejected("alice", "not a safetensors file", now=clock())
    first, second = submit(store, "alice", clock(), 2)
    assert store.claim_next().id == first
    store.record_rejection(first, "NaN in the weights")
    submit(store, "alice", clock())  # the rejected evaluation freed its place
    with pytest.raises(CapReached):
        submit(store, "alice", clock())
    statuses = [(s.status, s.reason) for s in store.submissions_of("alice")]
    assert statuses[:5] == [("rejected", "not a safetensors file")] * 5
    assert statuses[5] == ("rejected", "NaN in the weights")


def test_concurrent_uploads_cannot_overshoot_the_cap(store, rules, clock):
    rules.daily_cap = 3

    def one(_):
        try:
            return submit(store, "alice", clock())[0]
        except CapReached:
            return None

    with ThreadPoolExecutor(6) as pool:
        made = [r for r in pool.map(one, range(10)) if r is not None]
    assert len(made) == 3 and len(store.submissions_of("alice")) == 3


def test_after_the_deadline_nothing_is_queued(store, rules, clock):
    rules.deadline = clock(1).isoformat()
    submit(store, "alice", clock())
    with pytest.raises(CapReached) as refused:
        submit(store, "alice", clock(1))
    assert refused.value.cap == "closed" and "closed" in refused.value.reason


@pytest.mark.parametrize("bad", ["ab", "x" * 25, "has space", "bad!", "anonymous-7", "ANONYMOUS_x"])
def test_pseudonyms_are_validated(store, bad):
    with pytest.raises(ValueError):
        store.set_pseudonym("alice", bad)


def test_pseudonyms_are_unique_whatever_the_case(store):
    store.set_pseudonym("alice", "Zebra_1")
    store.set_pseudonym("alice", "zebra_1")  # one's own, in another case
    with pytest.raises(ValueError, match="taken"):
        store.set_pseudonym("bob", "ZEBRA_1")
    with pytest.raises(ValueError, match="taken"):
        store.set_pseudonym("bob", "Alice")  # another competitor's user name
    store.set_pseudonym("bob", "okapi")
    snap = store.snapshot()
    assert snap.competitors["alice"].pseudonym == "zebra_1"
    assert snap.competitors["bob"].pseudonym == "okapi"


def test_a_team_forms_when_both_ask_and_shares_the_caps(store, rules, clock):
    rules.daily_cap = 3
    submit(store, "alice", clock(), 2)
    store.form_team("alice", "bob")
    assert store.snapshot().team_of("alice") == ("alice",)  # bob has not asked yet
    assert store.snapshot().competitors["alice"].invited == "bob"
    store.form_team("bob", "alice")
    assert store.snapshot().team_of("bob") == ("alice", "bob")
    submit(store, "bob", clock())
    with pytest.raises(CapReached, match="your team"):
        submit(store, "bob", clock())
    assert [s.user for s in store.submissions_of("bob")] == ["alice", "alice", "bob"]


def test_teams_are_capped_in_size_and_in_past_submissions(store, rules, clock):
    store.form_team("alice", "bob")
    store.form_team("bob", "alice")
    store.form_team("carol", "alice")
    with pytest.raises(ValueError, match="already in a team"):
        store.form_team("alice", "carol")
    with pytest.raises(ValueError, match="someone else"):
        store.form_team("dan", "dan")
    rules.total_cap, rules.daily_cap = 3, 3
    submit(store, "dan", clock(), 2)
    submit(store, "erin", clock(), 2)
    store.form_team("dan", "erin")
    with pytest.raises(ValueError, match="more than a team's"):
        store.form_team("erin", "dan")


def test_claims_are_first_in_first_out_and_never_shared(store, clock):
    ids = [submit(store, f"s{i}", clock())[0] for i in range(12)]
    other = CompetitionStore(store.url, store.rules)  # a second worker, its own engine
    claimed: list[int] = []
    lock = threading.Lock()

    def work(s):
        while (c := s.claim_next()) is not None:
            with lock:
                claimed.append(c.id)

    threads = [threading.Thread(target=work, args=(s,)) for s in (store, other, store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    assert sorted(claimed) == ids and len(set(claimed)) == len(ids)
    assert {s.status for i in range(12) for s in store.submissions_of(f"s{i}")} == {"evaluating"}


def test_scores_are_recorded_once_and_checked(store, scores, clock):
    (sid,) = submit(store, "alice", clock())
    store.claim_next()
    with pytest.raises(ValueError):
        store.record_scores(sid, scores(math.nan))
    store.record_scores(sid, scores(0.81, 0.79), now=clock(1))
    store.record_rejection(sid, "too late")  # a scored submission stays scored
    (view,) = store.submissions_of("alice")
    assert (view.status, view.probe_public, view.probe_private) == ("scored", 0.81, 0.79)
    assert view.scored_at == clock(1) and view.n_params == 1000
    with pytest.raises(LookupError):
        store.record_scores(999, scores(0.5))


def test_stale_claims_are_requeued_then_rejected(store, clock):
    (sid,) = submit(store, "alice", clock())
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert store.claim_next(now=clock(attempt)).id == sid
        assert store.requeue_stale(600, now=clock(attempt)) == 0  # still fresh
        expected = 1 if attempt < MAX_ATTEMPTS else 0
        assert store.requeue_stale(600, now=clock(attempt + 0.5)) == expected
    (view,) = store.submissions_of("alice")
    assert view.status == "rejected" and "interrupted" in view.reason
    assert store.claim_next() is None


def test_final_selection_explicit_and_checked(store, rules, scores, clock):
    ids = submit(store, "alice", clock(), 4)
    for sid, p in zip(ids[:3], (0.7, 0.8, 0.75)):
        store.claim_next()
        store.record_scores(sid, scores(p))
    store.select_final("alice", [ids[0], ids[2]])
    assert [s.final for s in store.submissions_of("alice")] == [True, False, True, False]
    with pytest.raises(ValueError, match="at most 2"):
        store.select_final("alice", ids[:3])
    with pytest.raises(ValueError, match="not scored"):
        store.select_final("alice", [ids[3]])
    other = submit(store, "bob", clock())[0]
    with pytest.raises(LookupError):
        store.select_final("alice", [other])
    store.select_final("alice", [])  # back to the default
    assert not any(s.final for s in store.submissions_of("alice"))
    rules.deadline = clock(-1).isoformat()
    with pytest.raises(PermissionError):
        store.select_final("alice", [ids[0]])


def test_reveal_waits_for_the_deadline_and_happens_once(store, rules, clock):
    rules.deadline = clock(10).isoformat()
    with pytest.raises(ValueError, match="after the deadline"):
        store.reveal_private("prof", now=clock(9))
    store.reveal_private("prof", now=clock(11))
    store.reveal_private("ta", now=clock(12))
    snap = store.snapshot()
    assert (snap.revealed_at, snap.revealed_by) == (clock(11), "prof")


def test_baselines_are_pinned_and_repinned(store, scores):
    store.pin_baseline("PCA", scores(0.6))
    store.pin_baseline("PCA", scores(0.65))
    store.pin_baseline("raw inputs", scores(0.55))
    assert [(b.name, b.probe_public) for b in store.snapshot().baselines] == [
        ("PCA", 0.65),
        ("raw inputs", 0.55),
    ]
