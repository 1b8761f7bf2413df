"""The leaderboard's HTML (autoescaped Jinja), its history plot (SVG written here), and the
static export of the public board (`write_static`, the demo's board.html).

Pages are rendered from the board's JSON (`board.BoardView.to_json()`), the same value the
API returns to that viewer, so a page can show nothing the viewer's JSON does not hold.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
)

# (key, header, sort kind): the board's columns, the first key found in a row is shown
BOARD_COLUMNS = [
    (("rank",), "#", "number"),
    (("name", "pseudonym", "team"), "team", "text"),
    (("users",), "users", "text"),
    (("probe", "probe_public", "score"), "linear probe", "number"),
    (("knn", "knn_public"), "k-NN", "number"),
    (("n_params",), "parameters", "number"),
    (("eval_seconds",), "eval s", "number"),
    (("entries", "submissions"), "entries", "number"),
]
PRIVATE_COLUMNS = [
    (("rank",), "#", "number"),
    (("name", "pseudonym", "team"), "team", "text"),
    (("users",), "users", "text"),
    (("probe", "probe_private", "score"), "linear probe (private)", "number"),
    (("knn", "knn_private"), "k-NN (private)", "number"),
    (("n_params",), "parameters", "number"),
    (("eval_seconds",), "eval s", "number"),
]
OWN_COLUMNS = [
    (("id",), "id", "number"),
    (("user", "name", "pseudonym"), "who", "text"),
    (("submitted_at", "created_at", "at"), "submitted", "text"),
    (("status",), "status", "text"),
    (("reason",), "reason", "text"),
    (("probe_public", "probe"), "probe (public)", "number"),
    (("knn_public", "knn"), "k-NN (public)", "number"),
    (("probe_private",), "probe (private)", "number"),
    (("knn_private",), "k-NN (private)", "number"),
    (("n_params",), "parameters", "number"),
    (("eval_seconds",), "eval s", "number"),
    (("final",), "counts as final", "text"),
    (("note",), "note", "text"),
]
TIME_KEYS = {"submitted_at", "created_at", "at", "time"}


def pick(row: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in row:
            return row[key]
    return None


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return str(value)


def when(value: Any) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM:SS UTC' (anything else as it is)."""
    t = _time(value)
    if t is None:
        return shown(value)
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def used_columns(columns: list, rows: list[dict]) -> list:
    """The columns some row has a value for (a student's own rows have no private ones)."""
    return [c for c in columns if any(pick(r, c[0]) is not None for r in rows)] or columns[:2]


def table_rows(columns: list, rows: list[dict], viewer: str = "") -> list[dict]:
    out = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        css = [str(row.get("status") or "")]
        if row.get("baseline"):
            css.append("baseline")
        if row.get("mine") or (viewer and row.get("user") == viewer):
            css.append("mine")
        cells = []
        for keys, _label, kind in columns:
            value = pick(row, keys)
            sort = value if kind == "number" and isinstance(value, (int, float)) else shown(value)
            text = when(value) if keys[0] in TIME_KEYS else shown(value)
            cells.append({"key": keys[0], "text": text, "sort": sort})
        out.append(
            {
                "id": row.get("id"),
                "css": " ".join(c for c in css if c),
                "cells": cells,
                "selectable": row.get("status") == "scored",
                "final": bool(row.get("final") or row.get("selected")),
            }
        )
    return out


def rows_of(data: dict, *keys: str) -> list[dict] | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, list):
            return value
        if isinstance(value, dict) and isinstance(value.get("rows"), list):
            return value["rows"]
    return None


def rule_lines(data: dict) -> list[str]:
    rules = data.get("rules") if isinstance(data.get("rules"), dict) else {}
    labels = {
        "daily_cap": "submissions a day: {}",
        "total_cap": "submissions in all: {}",
        "max_final_selections": "final selections: {}",
        "deadline": "deadline: {}",
        "freeze_hours": "board frozen the last {} h",
        "max_team_size": "team size ≤ {}",
    }
    return [label.format(rules[k]) for k, label in labels.items() if rules.get(k) is not None]


def context(data: dict, viewer_name: str, is_staff: bool) -> dict:
    public = rows_of(data, "public", "public_board", "board") or []
    private = rows_of(data, "private", "private_board")
    own = rows_of(data, "mine", "own", "submissions") or []
    revealed = bool(data.get("revealed") or data.get("private_revealed"))
    pc = used_columns(BOARD_COLUMNS, public)
    vc = used_columns(PRIVATE_COLUMNS, private or [])
    oc = used_columns(OWN_COLUMNS, own)
    return {
        "public_columns": [(k[0], label, kind) for k, label, kind in pc],
        "public_rows": table_rows(pc, public),
        "private_columns": [(k[0], label, kind) for k, label, kind in vc],
        "private_rows": None if private is None else table_rows(vc, private),
        "own_columns": [(k[0], label, kind) for k, label, kind in oc],
        "own_rows": table_rows(oc, own, viewer_name),
        "revealed": revealed,
        "is_staff": is_staff,
        "viewer_name": viewer_name,
        "rules": rule_lines(data),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def board_page(
    data: dict, viewer: Any, prefix: str, xsrf: str, course_id: str = "", notice: str = ""
) -> str:
    """The board page of `viewer` (a `board.Viewer`) from its board JSON."""
    title = f"Leaderboard{f' — {course_id}' if course_id else ''}"
    values = context(data, viewer.name, viewer.is_staff)
    return _env.get_template("board.html").render(
        **values,
        title=title,
        prefix=prefix,
        static=prefix + "static/",
        xsrf=Markup(xsrf),
        static_export=False,
        notice=notice,
    )


def static_page(data: dict, history: Any, title: str = "Leaderboard") -> str:
    """A self-contained page of the public board (what a viewer with no submissions sees)."""
    values = context(data, "", False)
    css = (STATIC / "board.css").read_text(encoding="utf-8")
    page = _env.get_template("board.html").render(
        **values,
        title=title,
        prefix="",
        static="",
        xsrf="",
        static_export=True,
        notice="",
        history_svg=Markup(history_svg(history)),
    )
    # the stylesheet inline: a file opened from disk has no service to fetch it from
    return page.replace(
        '<link rel="stylesheet" href="board.css">',
        f"<style>\n{html.escape(css, quote=False)}</style>",
    )


def error_page(status: int, reason: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{status}</title></head><body><h1>{status}</h1><p>{html.escape(reason)}</p></body></html>"
    )


# -- the history plot --------------------------------------------------------------------

WIDTH, HEIGHT, PAD, LEGEND = 820, 320, 48, 150
COLOURS = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6346", "#555"]


def _time(value: Any) -> float | None:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace(" UTC", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def series_of(history: Any) -> dict[str, list[tuple[float, float]]]:
    """name → [(time, score)] from the history JSON: a list of points
    {time/at, name/team, score/probe}, or {name: [points]}, or {"series": ...}."""
    if isinstance(history, dict) and "series" in history:
        history = history["series"]
    out: dict[str, list[tuple[float, float]]] = {}
    if isinstance(history, dict):
        items = [(str(k), v) for k, v in history.items()]
        points = [dict(p, name=k) for k, ps in items if isinstance(ps, list) for p in ps
                  if isinstance(p, dict)]  # fmt: skip
        for k, ps in items:
            if isinstance(ps, list):
                for p in ps:
                    if isinstance(p, (list, tuple)) and len(p) == 2:
                        points.append({"time": p[0], "score": p[1], "name": k})
    else:
        points = [p for p in history or [] if isinstance(p, dict)]
    for p in points:
        t = _time(pick(p, ("time", "at", "t", "submitted_at", "scored_at")))
        s = pick(p, ("score", "probe", "probe_public", "best"))
        name = shown(pick(p, ("name", "team", "pseudonym")) or "")
        if t is None or not isinstance(s, (int, float)) or not math.isfinite(s):
            continue
        out.setdefault(name, []).append((t, float(s)))
    return {k: sorted(v) for k, v in out.items()}


def history_svg(history: Any, now: float | None = None) -> str:
    """A step plot of each team's public score over time, as a standalone SVG document."""
    series = series_of(history)
    points = [p for ps in series.values() for p in ps]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="board history">'
        '<rect width="100%" height="100%" fill="#fff"/>'
    )
    if not points:
        return head + (
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-family="sans-serif" '
            'fill="#777">no scores yet</text></svg>'
        )
    t0, t1 = min(p[0] for p in points), max(max(p[0] for p in points), now or 0.0)
    t1 = t1 if t1 > t0 else t0 + 1.0
    s0, s1 = min(p[1] for p in points), max(p[1] for p in points)
    s0, s1 = (s0 - 0.05, s1 + 0.05) if s1 - s0 < 0.1 else (s0, s1)

    def x(t: float) -> float:
        return PAD + (WIDTH - 2 * PAD - LEGEND) * (t - t0) / (t1 - t0)

    def y(s: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (s - s0) / (s1 - s0)

    parts = [head, '<g font-family="sans-serif" font-size="11" fill="#444">']
    for i in range(5):
        s = s0 + (s1 - s0) * i / 4
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD - LEGEND}" y1="{y(s):.1f}" y2="{y(s):.1f}" stroke="#eee"/>'
            f'<text x="{PAD - 6}" y="{y(s) + 4:.1f}" text-anchor="end">{s:.3f}</text>'
        )
    for i, t in enumerate((t0, t1)):
        label = datetime.fromtimestamp(t, UTC).strftime("%m-%d %H:%M")
        anchor = "start" if i == 0 else "end"
        parts.append(
            f'<text x="{x(t):.1f}" y="{HEIGHT - PAD + 16}" text-anchor="{anchor}">{label}</text>'
        )
    top = sorted(series.items(), key=lambda kv: -max(s for _, s in kv[1]))[: len(COLOURS)]
    for i, (name, ps) in enumerate(top):
        colour = COLOURS[i]
        d = [f"M{x(ps[0][0]):.1f},{y(ps[0][1]):.1f}"]
        for t, s in ps[1:]:
            d.append(f"H{x(t):.1f} V{y(s):.1f}")
        d.append(f"H{x(t1):.1f}")
        parts.append(f'<path d="{" ".join(d)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<text x="{WIDTH - PAD - LEGEND + 8}" y="{PAD + 14 * i}" fill="{colour}">'
            f"{html.escape(name[:24])}</text>"
        )
    parts.append(
        f'<text x="{PAD}" y="{PAD - 14}">best public linear-probe accuracy</text></g></svg>'
    )
    return "".join(parts)


def write_static(store: Any, path: Path, title: str = "Leaderboard") -> Path:
    """The public board (and the private one once revealed) as one static HTML file."""
    from dlgrade.compete.board import Viewer, board, history

    viewer = Viewer("", False)
    data = board(store, viewer).to_json()
    from dlgrade.compete.handlers import plain

    page = static_page(data, plain(history(store, viewer)), title)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
