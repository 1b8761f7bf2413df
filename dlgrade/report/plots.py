"""Plots as inline SVG: text stays text, and every bar or point carries `data-*` attributes
holding the exact numbers it draws, so a browser test can read them back."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

from dlgrade.report.course import AssignmentRow
from dlgrade.report.model import GradedSubmission
from dlgrade.report.stats import Bin, Item, fmt

RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "dlgrade-report",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
PASS, WARN, FAIL, MUTED = "#2e7d32", "#f9a825", "#c62828", "#78909c"
_URL = re.compile(r"url\(#([^)]+)\)")
_UNPRINTABLE = re.compile(r"[^\S ]|[\x00-\x1f\x7f]")


def label(value: str, limit: int = 32) -> str:
    value = _UNPRINTABLE.sub("?", value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


@contextmanager
def figure(width: float, height: float) -> Iterator[Figure]:
    with matplotlib.rc_context(RC):
        yield Figure(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure, prefix: str, data: dict[str, dict[str, str]], title: str) -> Markup:
    """`fig` as an inline `<svg>`: ids prefixed (several plots share a page), `data` attributes
    added to the elements whose matplotlib gid is the key, metadata dropped."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    root = ET.fromstring(buf.getvalue())
    for child in [c for c in root if c.tag.endswith("metadata")]:
        root.remove(child)
    for el in root.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]
        for key in [k for k in el.attrib if k.startswith("{")]:
            el.attrib[key.rsplit("}", 1)[-1]] = el.attrib.pop(key)
        old_id = el.get("id")
        for key, value in list(el.attrib.items()):
            if key == "id":
                el.set(key, f"{prefix}-{value}")
            elif key == "href" and value.startswith("#"):
                el.set(key, f"#{prefix}-{value[1:]}")
            elif "url(#" in value:
                el.set(key, _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value))
        for key, value in data.get(old_id or "", {}).items():
            el.set(key, value)
    root.set("role", "img")
    root.set("aria-label", title)
    root.set("class", "plot")
    root.set("data-plot", prefix)
    heading = ET.Element("title")
    heading.text = title
    root.insert(0, heading)
    return Markup(ET.tostring(root, encoding="unicode"))


def _rate_colour(rate: float) -> str:
    return PASS if rate >= 0.8 else WARN if rate >= 0.5 else FAIL


def histogram_plot(bins: Sequence[Bin], xlabel: str, prefix: str, title: str) -> Markup:
    """Bars of a histogram; each bar's `data-lo/-hi/-count` are its bin."""
    data = {}
    with figure(6.4, 2.8) as fig:
        ax = fig.subplots()
        bars = ax.bar(
            [b.lo + 0.04 * (b.hi - b.lo) for b in bins],
            [b.count for b in bins],
            width=[0.92 * (b.hi - b.lo) for b in bins],
            align="edge",
            color="#1565c0",
            linewidth=0,
        )
        ax.bar_label(bars, labels=[str(b.count) if b.count else "" for b in bins], padding=2)
        for i, (bar, b) in enumerate(zip(bars, bins)):
            bar.set_gid(f"bin-{i}")
            data[f"bin-{i}"] = {
                "class": "bar",
                "data-lo": fmt(b.lo),
                "data-hi": fmt(b.hi),
                "data-count": str(b.count),
            }
        if bins:
            ax.set_xticks([b.lo for b in bins] + [bins[-1].hi])
            ax.set_xticklabels([fmt(b.lo, 1) for b in bins] + [fmt(bins[-1].hi, 1)])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("students")
        ax.set_ylim(0, max([b.count for b in bins] + [1]) * 1.15)
        ax.yaxis.get_major_locator().set_params(integer=True)
        return to_svg(fig, prefix, data, title)


def pass_rate_plot(items: Sequence[Item], prefix: str = "pass-rates") -> Markup:
    """Horizontal bars, hardest test on top; `data-passed/-n/-pass-rate` per bar."""
    data = {}
    rows = len(items)
    with figure(6.4, 0.9 + 0.28 * max(1, rows)) as fig:
        ax = fig.subplots()
        bars = ax.barh(
            [rows - 1 - r for r in range(rows)],
            [100 * i.pass_rate for i in items],
            color=[_rate_colour(i.pass_rate) for i in items],
        )
        ax.bar_label(bars, labels=[f"{i.passed}/{i.n}" for i in items], padding=3)
        for row, (bar, item) in enumerate(zip(bars, items)):
            bar.set_gid(f"test-{row}")
            data[f"test-{row}"] = {
                "class": "bar",
                "data-test": item.id,
                "data-passed": str(item.passed),
                "data-n": str(item.n),
                "data-pass-rate": fmt(100 * item.pass_rate, 2),
            }
        ax.set_yticks([rows - 1 - r for r in range(rows)])
        ax.set_yticklabels([label(i.id.split("::")[-1], 40) for i in items])
        ax.set_xlim(0, 112)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("students passing (%)")
        return to_svg(fig, prefix, data, "Pass rate per test")


def timing_plot(subs: Sequence[GradedSubmission], prefix: str = "timing") -> Markup:
    """One bar per submission, slowest first; `data-student/-seconds/-status` per bar."""
    data = {}
    many = len(subs) > 40
    with figure(6.4, 2.8 if many else 3.2) as fig:
        ax = fig.subplots()
        bars = ax.bar(
            range(len(subs)),
            [s.execution_time or 0.0 for s in subs],
            color=["#1565c0" if s.graded else FAIL for s in subs],
        )
        for i, (bar, s) in enumerate(zip(bars, subs)):
            bar.set_gid(f"sub-{i}")
            data[f"sub-{i}"] = {
                "class": "bar",
                "data-student": s.student,
                "data-seconds": fmt(s.execution_time or 0.0, 3),
                "data-status": s.status,
            }
        ax.set_xticks([] if many else range(len(subs)))
        if not many:
            ax.set_xticklabels([label(s.student, 16) for s in subs], rotation=60, ha="right")
        ax.set_xlim(-0.6, max(len(subs), 1) - 0.4)
        ax.set_ylabel("grading time (s)")
        return to_svg(fig, prefix, data, "Grading time per submission")


def trend_plot(rows: Sequence[AssignmentRow], prefix: str = "trend") -> Markup:
    """Mean and median percentage per assignment in term order; one point per value."""
    data = {}
    with figure(6.4, 3.0) as fig:
        ax = fig.subplots()
        for kind, colour, marker in (("mean", "#1565c0", "o"), ("median", "#ef6c00", "s")):
            points = [(i, getattr(r, f"{kind}_percent")) for i, r in enumerate(rows)]
            points = [(i, v) for i, v in points if v is not None]
            ax.plot([i for i, _ in points], [v for _, v in points], color=colour, label=kind)
            for i, v in points:
                ax.plot([i], [v], marker=marker, color=colour, gid=f"{kind}-{i}")
                data[f"{kind}-{i}"] = {
                    "class": "point",
                    "data-assignment": rows[i].name,
                    "data-kind": kind,
                    "data-value": fmt(v, 2),
                }
                if kind == "mean":
                    ax.annotate(
                        fmt(v, 1), (i, v), textcoords="offset points", xytext=(0, 6), ha="center"
                    )
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([label(r.name, 20) for r in rows], rotation=30, ha="right")
        ax.set_xlim(-0.5, max(len(rows), 1) - 0.5)
        ax.set_ylim(0, 110)
        ax.set_ylabel("score (% of max)")
        ax.legend(loc="lower left", frameon=False)
        return to_svg(fig, prefix, data, "Mean and median score per assignment")
