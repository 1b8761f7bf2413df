"""HTML rendering: one self-contained file per report (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from dlgrade.grading.results import Status
from dlgrade.report import plots, stats
from dlgrade.report.course import CourseOverview
from dlgrade.report.model import GradedSubmission
from dlgrade.sanitize import PAGE_CSP


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else plots.fmt(value, digits)


def _corr(value: float | None) -> str:
    if value is None:
        return "–"
    return "0.00" if abs(value) < 0.005 else f"{value:+.2f}"


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dlgrade.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["csp"] = PAGE_CSP
    env.globals["Status"] = Status
    env.filters["num"] = _num
    env.filters["corr"] = _corr
    return env


def assignment_html(
    name: str,
    subs: Sequence[GradedSubmission],
    *,
    bins: int = 10,
    group_limit: int = 25,
    message_chars: int = 600,
    duedate: datetime | None = None,
    course_link: str | None = None,
) -> str:
    """The class report of one assignment."""
    summary = stats.score_summary(subs)
    hist = stats.histogram(subs, bins)
    items = stats.item_analysis(subs)
    timed = stats.timed(subs)
    time_summary, time_total = stats.timing_summary(subs)
    return (
        environment()
        .get_template("assignment.html.j2")
        .render(
            name=name,
            subs=subs,
            duedate=duedate,
            course_link=course_link,
            statuses=stats.count_statuses(subs),
            summary=summary,
            bins=hist,
            histogram_svg=plots.histogram_plot(
                hist, "score (points)", "score-histogram", f"Score distribution of {name}"
            )
            if summary.n
            else "",
            items=items,
            pass_rate_svg=plots.pass_rate_plot(items) if items else "",
            groups=stats.failure_groups(subs),
            group_limit=group_limit,
            message_chars=message_chars,
            not_graded=stats.not_graded(subs),
            flagged=[s for s in subs if s.graded and s.flags],
            real_zeros=[s.student for s in subs if s.graded and s.score == 0],
            timed=timed,
            time_summary=time_summary,
            time_total=time_total,
            timing_svg=plots.timing_plot(timed) if timed else "",
            late=stats.late(subs),
        )
    )


def course_html(
    overview: CourseOverview,
    *,
    course_id: str = "",
    order_source: str = "by name",
    links: Mapping[str, str] | None = None,
    bins: int = 10,
) -> str:
    """The course overview across assignments."""
    percents = [(r.student, r.percent) for r in overview.students if r.percent is not None]
    totals = stats.bin_values(percents, 0.0, 100.0, bins)
    return (
        environment()
        .get_template("course.html.j2")
        .render(
            overview=overview,
            course_id=course_id,
            order_source=order_source,
            linked={a: quote(href) for a, href in (links or {}).items()},
            trend_svg=plots.trend_plot(overview.assignments) if overview.assignments else "",
            totals_svg=plots.histogram_plot(
                totals,
                "course total (% of max)",
                "totals-histogram",
                "Distribution of course totals",
            )
            if overview.students
            else "",
        )
    )
