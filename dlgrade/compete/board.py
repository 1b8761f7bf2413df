"""What each viewer may see of the competition.

* Students: the public board (pseudonyms only, the Ladder's rounded public scores,
  baselines pinned), their team's own submissions with status, reason and exact public
  scores; private scores of nobody before the reveal. During the freeze (the last
  `freeze_hours` before the deadline, until the reveal) the board is the one of the
  freeze's start and their own scores that came after it read "hidden until the reveal".
  After the reveal: the private ranking of every team's final selections.
* Staff: everything, live: user names, exact and private scores, every submission.

Ranks are deterministic: a higher score first, then the earlier submission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dlgrade.compete import ladder
from dlgrade.compete.models import COUNTED, SCORED, Snapshot, SubmissionView
from dlgrade.compete.rules import CompetitionRules, utc

HIDDEN = "hidden until the reveal"
PRIVATE_DECIMALS = 4
COLUMNS = [
    {"key": "rank", "label": "#"},
    {"key": "name", "label": "team"},
    {"key": "probe_public", "label": "linear probe (ranking)"},
    {"key": "knn_public", "label": "k-NN"},
    {"key": "n_params", "label": "parameters"},
    {"key": "eval_seconds", "label": "evaluation s"},
    {"key": "entries", "label": "entries"},
]


@dataclass(frozen=True)
class Viewer:
    name: str
    is_staff: bool


@dataclass(frozen=True)
class Ranked:
    """A team's place on the private ranking: its best final selection."""

    rank: int
    team: tuple[str, ...]
    submission: SubmissionView
    selected: bool
    """Whether the team chose its finals (else: its best public ones)."""


@dataclass(frozen=True)
class BoardView:
    """One viewer's board; `to_json()` is what the API sends and the pages render."""

    viewer: Viewer
    public: list[dict]
    private: list[dict] | None
    mine: list[dict]
    me: dict | None
    frozen: bool
    revealed: bool
    rules: dict
    now: datetime
    freeze_start: datetime | None = None
    columns: list[dict] = field(default_factory=lambda: list(COLUMNS))

    def to_json(self) -> dict[str, Any]:
        return {
            "viewer": {"name": self.viewer.name, "is_staff": self.viewer.is_staff},
            "public": self.public,
            "private": self.private,
            "mine": self.mine,
            "me": self.me,
            "frozen": self.frozen,
            "revealed": self.revealed,
            "rules": self.rules,
            "generated_at": iso(self.now),
            "freeze_start": iso(self.freeze_start),
            "columns": self.columns,
        }


def iso(when: datetime | None) -> str | None:
    return utc(when).isoformat() if when else None


def team_name(snap: Snapshot, team: tuple[str, ...]) -> str:
    names = [snap.competitors[u].pseudonym if u in snap.competitors else "?" for u in team]
    return " & ".join(sorted(names))


def teams_of(snap: Snapshot, subs: Iterable[SubmissionView]) -> dict[tuple[str, ...], list]:
    out: dict[tuple[str, ...], list[SubmissionView]] = {}
    for s in subs:
        out.setdefault(snap.team_of(s.user), []).append(s)
    return out


def scored(subs: Iterable[SubmissionView], cutoff: datetime | None) -> list[SubmissionView]:
    """Scored submissions, those scored before `cutoff` only when one is given."""
    return [
        s
        for s in subs
        if s.status == SCORED and (cutoff is None or (s.scored_at and s.scored_at < cutoff))
    ]


def finals(subs: list[SubmissionView], rules: CompetitionRules) -> tuple[list, bool]:
    """A team's final selections: its chosen ones, else its best public ones."""
    done = [s for s in subs if s.status == SCORED]
    chosen = [s for s in done if s.final]
    if chosen:
        return chosen, True
    done.sort(key=lambda s: (-(s.probe_public or 0.0), s.id))
    return done[: rules.max_final_selections], False


def private_ranking(snap: Snapshot, rules: CompetitionRules) -> list[Ranked]:
    """Every team with a scored submission, ranked by the best private linear-probe
    accuracy of its final selections (ties: the earlier submission)."""
    entries = []
    for team, subs in teams_of(snap, snap.submissions).items():
        chosen, selected = finals(subs, rules)
        if chosen:
            top = min(chosen, key=lambda s: (-(s.probe_private or 0.0), s.id))
            entries.append((team, top, selected))
    entries.sort(key=lambda e: (-(e[1].probe_private or 0.0), e[1].id))
    return [Ranked(i + 1, t, s, sel) for i, (t, s, sel) in enumerate(entries)]


def _r(value: float | None, decimals: int) -> float | None:
    return None if value is None else ladder.round_score(value, decimals)


def public_rows(snap: Snapshot, rules: CompetitionRules, viewer: Viewer, cutoff) -> list[dict]:
    d, staff = rules.score_decimals, viewer.is_staff
    teams = []
    for team, subs in teams_of(snap, snap.submissions).items():
        visible = scored(subs, cutoff)
        attempts = [ladder.Attempt(s.id, s.created_at, s.probe_public) for s in visible]
        step = ladder.best(attempts, rules.ladder_margin, d)
        if step is None:
            continue
        sub = next(s for s in visible if s.id == step.submission_id)
        made = [
            s for s in subs if s.status in COUNTED and (cutoff is None or s.created_at < cutoff)
        ]
        row = {
            "name": team_name(snap, team), "probe_public": step.shown,
            "knn_public": _r(sub.knn_public, d), "n_params": sub.n_params,
            "eval_seconds": _r(sub.eval_seconds, 1), "entries": len(made),
            "at": iso(step.at), "baseline": False, "mine": viewer.name in team,
        }  # fmt: skip
        if staff:
            row.update(users=list(team), submission_id=sub.id, probe_public_exact=step.exact,
                       knn_public_exact=sub.knn_public, probe_private=sub.probe_private,
                       knn_private=sub.knn_private)  # fmt: skip
        teams.append((step.shown, step.submission_id, row))
    teams.sort(key=lambda t: (-t[0], t[1]))
    rows = []
    for rank, (_, _, row) in enumerate(teams, 1):
        rows.append({"rank": rank, **row})
    for b in snap.baselines:
        row = {
            "rank": None, "name": b.name, "probe_public": _r(b.probe_public, d),
            "knn_public": _r(b.knn_public, d), "n_params": b.n_params,
            "eval_seconds": _r(b.eval_seconds, 1), "entries": None, "at": None,
            "baseline": True, "mine": False,
        }  # fmt: skip
        if staff:
            row.update(probe_public_exact=b.probe_public, probe_private=b.probe_private,
                       knn_private=b.knn_private)  # fmt: skip
        rows.append(row)
    rows.sort(key=lambda r: (-(r["probe_public"] or 0.0), r["baseline"], r["rank"] or 0))
    return rows


def private_rows(snap: Snapshot, rules: CompetitionRules, viewer: Viewer) -> list[dict]:
    d = None if viewer.is_staff else PRIVATE_DECIMALS

    def shown(value: float | None) -> float | None:
        return value if d is None else _r(value, d)

    rows = []
    for r in private_ranking(snap, rules):
        s = r.submission
        row = {
            "rank": r.rank, "name": team_name(snap, r.team), "probe_private": shown(s.probe_private),
            "knn_private": shown(s.knn_private), "probe_public": _r(s.probe_public, rules.score_decimals),
            "n_params": s.n_params, "eval_seconds": _r(s.eval_seconds, 1), "baseline": False,
            "mine": viewer.name in r.team, "selected": r.selected,
        }  # fmt: skip
        if viewer.is_staff:
            row.update(users=list(r.team), submission_id=s.id)
        rows.append(row)
    for b in snap.baselines:
        rows.append({
            "rank": None, "name": b.name, "probe_private": shown(b.probe_private),
            "knn_private": shown(b.knn_private), "probe_public": _r(b.probe_public, rules.score_decimals),
            "n_params": b.n_params, "eval_seconds": _r(b.eval_seconds, 1), "baseline": True,
            "mine": False,
        })  # fmt: skip
    rows.sort(key=lambda r: (-(r["probe_private"] or 0.0), r["baseline"], r["rank"] or 0))
    return rows


def own_rows(snap: Snapshot, rules: CompetitionRules, viewer: Viewer, revealed: bool,
             cutoff: datetime | None) -> list[dict]:  # fmt: skip
    """The viewer's team's submissions (staff: every submission)."""
    if viewer.is_staff:
        subs = snap.submissions
    else:
        team = set(snap.team_of(viewer.name))
        subs = [s for s in snap.submissions if s.user in team]
    effective = set()
    for team_subs in teams_of(snap, subs).values():
        effective.update(s.id for s in finals(team_subs, rules)[0])
    rows = []
    for s in subs:
        hide = (
            cutoff is not None and s.status == SCORED and (not s.scored_at or s.scored_at >= cutoff)
        )
        row = {
            "id": s.id, "user": s.user, "submitted_at": iso(s.created_at), "status": s.status,
            "reason": s.reason, "size": s.size, "probe_public": None if hide else s.probe_public,
            "knn_public": None if hide else s.knn_public, "n_params": s.n_params,
            "eval_seconds": s.eval_seconds, "final": s.id in effective, "selected": s.final,
            "note": HIDDEN if hide else "",
        }  # fmt: skip
        if viewer.is_staff or revealed:
            row.update(probe_private=s.probe_private, knn_private=s.knn_private)
        rows.append(row)
    return rows


def me_of(snap: Snapshot, rules: CompetitionRules, viewer: Viewer, now: datetime) -> dict | None:
    """The viewer's pseudonym, team, invitation and what is left of the caps."""
    if not viewer.name:
        return None
    found = snap.competitors.get(viewer.name)
    team = snap.team_of(viewer.name)
    made = [s for s in snap.submissions if s.user in team and s.status in COUNTED]
    start = utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = sum(1 for s in made if start <= s.created_at < start + timedelta(days=1))
    return {
        "name": viewer.name,
        "pseudonym": found.pseudonym if found else None,
        "team": list(team),
        "invited": found.invited if found else None,
        "invitations": sorted(c.name for c in snap.competitors.values() if c.invited == viewer.name),
        "left_today": max(0, rules.daily_cap - today),
        "left_total": max(0, rules.total_cap - len(made)),
        "resets_at": iso(start + timedelta(days=1)),
    }  # fmt: skip


def board(store: Any, viewer: Viewer, now: datetime | None = None) -> BoardView:
    """The board `viewer` may see at `now` (default: the present)."""
    now = utc(now)
    rules = store.rules
    snap: Snapshot = store.snapshot()
    revealed = snap.revealed_at is not None
    frozen = rules.is_frozen(now) and not revealed
    cutoff = rules.freeze_start if frozen and not viewer.is_staff else None
    private = private_rows(snap, rules, viewer) if revealed or viewer.is_staff else None
    return BoardView(
        viewer=viewer,
        public=public_rows(snap, rules, viewer, cutoff),
        private=private,
        mine=own_rows(snap, rules, viewer, revealed, cutoff),
        me=None if viewer.is_staff else me_of(snap, rules, viewer, now),
        frozen=frozen,
        revealed=revealed,
        rules=rules.summary(),
        now=now,
        freeze_start=rules.freeze_start,
    )


def history(store: Any, viewer: Viewer, now: datetime | None = None) -> list[dict]:
    """Each team's board score over time (the Ladder's steps), as {time, name, score}
    points, oldest first; for students only what the (frozen) board has shown."""
    rules = store.rules
    snap: Snapshot = store.snapshot()
    revealed = snap.revealed_at is not None
    frozen = rules.is_frozen(utc(now)) and not revealed
    cutoff = rules.freeze_start if frozen and not viewer.is_staff else None
    points = []
    for team, subs in teams_of(snap, snap.submissions).items():
        attempts = [
            ladder.Attempt(s.id, s.created_at, s.probe_public) for s in scored(subs, cutoff)
        ]
        for step in ladder.climb(attempts, rules.ladder_margin, rules.score_decimals):
            point = {"time": iso(step.at), "name": team_name(snap, team), "score": step.shown}
            if viewer.is_staff:
                point["exact"] = step.exact
            points.append((step.at, step.submission_id, point))
    points.sort(key=lambda p: (p[0], p[1]))
    return [p for _, _, p in points]
