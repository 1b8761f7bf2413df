"""The rendered reports, looked at in headless Chromium the way an instructor sees them.

Every number checked here is recomputed from the results.json files the synthetic class
wrote, not taken from dlgrade.report. Screenshots go to artifacts/report/.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from synthetic_class import SECRET, TESTS, XSS

from dlgrade.report import build_reports

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "report"


def ensure_chromium() -> Path:
    """Debian's Chromium, installed with apt when missing and we are root."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("Chromium is missing: run `make report-browser` as root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, timeout=600)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=True, timeout=1200
    )
    return CHROMIUM


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(executable),
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, gradebook_file):
    from synthetic_class import write_course

    cohort = write_course(tmp_path_factory.mktemp("rendered") / "course")
    shutil.copy(gradebook_file, cohort.root / "gradebook.db")
    written = build_reports(cohort.paths, list(TESTS))
    return cohort, {p.name if p.name != "report.html" else p.parent.name: p for p in written}


class Page:
    """A report opened in Chromium with every network request refused and recorded."""

    def __init__(self, browser, path: Path, shot: str):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def texts(self, selector: str) -> list[str]:
        return [t.strip() for t in self.page.locator(selector).all_text_contents()]

    def attrs(self, selector: str, *names: str) -> list[tuple[str, ...]]:
        return [
            tuple(el.get_attribute(n) or "" for n in names)
            for el in self.page.locator(selector).all()
        ]

    def box(self, selector: str):
        return self.page.locator(selector).bounding_box()

    def close(self):
        self.context.close()


def number(text: str) -> float:
    return float(text.replace("%", "").replace("–", "nan"))


def check_self_contained(page: Page, path: Path) -> None:
    html = path.read_text()
    assert not page.requests, f"the report tried to load {page.requests}"
    assert not page.errors
    assert page.page.locator("script").count() == 0
    assert page.page.evaluate("typeof window.__pwned") == "undefined"
    assert SECRET not in html and SECRET not in page.page.content()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_assignment_report_shows_the_numbers_of_the_results_files(browser, rendered):
    """Do the overview cards, histogram bars, pass-rate bars, tables, failure groups,
    not-graded list, timing bars and late list show what results.json says?"""
    cohort, files = rendered
    results = cohort.results["attention"]
    graded = cohort.graded("attention")
    page = Page(browser, files["attention"], "attention")
    try:
        check_self_contained(page, files["attention"])
        p = page.page
        scores = [r["score"] for r in graded.values()]
        stat = lambda key: number(p.locator(f'[data-stat="{key}"]').inner_text())  # noqa: E731
        assert stat("mean") == pytest.approx(statistics.fmean(scores), abs=0.006)
        assert stat("median") == pytest.approx(statistics.median(scores), abs=0.006)
        assert stat("max") == max(scores) and stat("min") == min(scores)
        statuses = Counter(r["status"] for r in results.values())
        statuses["missing"] = len(cohort.submitted_only["attention"])
        for status, n in statuses.items():
            assert stat(f"status-{status}") == n
        assert stat("late") == sum(r["late"] for r in results.values())

        bars = page.attrs(
            'svg[data-plot="score-histogram"] .bar', "data-lo", "data-hi", "data-count"
        )
        assert len(bars) == 10
        heights = []
        for i, (lo, hi, count) in enumerate(bars):
            lo, hi = float(lo), float(hi)
            last = i == len(bars) - 1
            inside = [v for v in scores if lo <= v < hi or (last and v == hi)]
            assert int(count) == len(inside)
            heights.append(page.box(f'svg[data-plot="score-histogram"] .bar >> nth={i}')["height"])
        assert sum(int(c) for *_, c in bars) == len(scores)
        unit = max(h / int(c) for h, (*_, c) in zip(heights, bars) if int(c))
        for h, (*_, c) in zip(heights, bars):
            assert h == pytest.approx(unit * int(c), abs=1.5)
        labels = page.texts('svg[data-plot="score-histogram"] text')
        assert Counter(c for *_, c in bars if c != "0") <= Counter(labels)

        test_bars = page.attrs(
            'svg[data-plot="pass-rates"] .bar', "data-test", "data-passed", "data-n"
        )
        assert {t for t, *_ in test_bars} == {t[0] for t in TESTS["attention"]}
        widths = {}
        for i, (test_id, passed, n) in enumerate(test_bars):
            outcomes = [
                t["status"] for r in graded.values() for t in r["tests"] if t["id"] == test_id
            ]
            assert (int(passed), int(n)) == (outcomes.count("passed"), len(outcomes))
            widths[test_id] = page.box(f'svg[data-plot="pass-rates"] .bar >> nth={i}')["width"]
            row = f'#items-table tr[data-test="{test_id}"]'
            assert p.locator(f'{row} td[data-col="passed"]').inner_text() == passed
            assert p.locator(f'{row} td[data-col="failed"]').inner_text() == str(
                int(n) - int(passed)
            )
        rates = {t: int(a) / int(n) for t, a, n in test_bars}
        full = max(widths[t] / rates[t] for t in widths if rates[t])
        for t in widths:
            assert widths[t] == pytest.approx(full * rates[t], abs=1.5)
        assert [number(x) for x in page.texts('#items-table td[data-col="pass-rate"]')] == sorted(
            round(100 * r, 1) for r in rates.values()
        )

        failing = Counter(
            t["id"] for r in graded.values() for t in r["tests"] if t["status"] != "passed"
        )
        shown = Counter()
        for row in p.locator("#failures-table tbody tr").all():
            test_id = row.get_attribute("data-test")
            students = [s.strip() for s in row.locator("li").all_text_contents()]
            assert int(row.locator('td[data-col="count"]').inner_text()) == len(students)
            for s in students:
                assert any(
                    t["id"] == test_id and t["status"] != "passed" for t in graded[s]["tests"]
                )
            shown[test_id] += len(students)
        assert shown == failing
        assert XSS in p.locator("#failures-table").inner_text()

        not_graded = {(s, r["status"]) for s, r in results.items() if r["status"] != "graded"}
        not_graded |= {(s, "missing") for s in cohort.submitted_only["attention"]}
        assert (
            set(page.attrs("#not-graded-table tbody tr", "data-student", "data-status"))
            == not_graded
        )
        assert "gus" in p.locator("#not-graded").inner_text()  # a real zero, named apart

        seconds = {s: r["execution_time"] for s, r in results.items()}
        timing = page.attrs('svg[data-plot="timing"] .bar', "data-student", "data-seconds")
        assert {s: float(v) for s, v in timing} == seconds
        assert [float(v) for _, v in timing] == sorted(seconds.values(), reverse=True)
        assert set(page.texts("#late-table td:first-child")) == {
            s for s, r in results.items() if r["late"]
        }
    finally:
        page.close()


def test_course_overview_shows_totals_averages_and_trend(browser, rendered):
    """Are assignments in due-date order with the right means, trend points at those means,
    and each student's total the sum of their graded scores?"""
    cohort, files = rendered
    page = Page(browser, files["course.html"], "course")
    try:
        check_self_contained(page, files["course.html"])
        p = page.page
        order = ["mlp", "attention", "diffusion"]
        assert [a for (a,) in page.attrs("#assignments-table tbody tr", "data-assignment")] == order
        maxima = {a: sum(t[2] for t in TESTS[a]) for a in TESTS}
        means = {
            a: 100 * statistics.fmean(r["score"] for r in cohort.graded(a).values()) / maxima[a]
            for a in TESTS
        }
        for a in order:
            cell = p.locator(
                f'#assignments-table tr[data-assignment="{a}"] td[data-col="mean-percent"]'
            )
            assert number(cell.inner_text()) == pytest.approx(means[a], abs=0.051)
        points = page.attrs(
            'svg[data-plot="trend"] .point[data-kind="mean"]', "data-assignment", "data-value"
        )
        assert [a for a, _ in points] == order
        for a, v in points:
            assert float(v) == pytest.approx(means[a], abs=0.006)
        ys = {
            a: page.box(f'svg[data-plot="trend"] .point[data-kind="mean"][data-assignment="{a}"]')[
                "y"
            ]
            for a in order
        }
        ranked = sorted(order, key=lambda a: means[a])
        assert sorted(order, key=lambda a: -ys[a]) == ranked  # higher mean, higher on screen
        for row in p.locator("#students-table tbody tr").all():
            student = row.get_attribute("data-student")
            total = sum(
                cohort.graded(a)[student]["score"] for a in TESTS if student in cohort.graded(a)
            )
            assert number(row.locator('td[data-col="total"]').inner_text()) == pytest.approx(total)
        assert (
            p.locator(
                '#students-table tr[data-student="cleo"] td[data-assignment="attention"]'
            ).inner_text()
            == "0 timeout"  # its earned points (none), marked for a look
        )
        link = p.locator('#assignments-table a[href="attention/report.html"]')
        assert link.count() == 1
    finally:
        page.close()


@pytest.mark.parametrize("assignment", ["mlp", "diffusion"])
def test_other_assignment_reports_render(browser, rendered, assignment):
    """Do the other reports render self-contained, with one histogram bar count per student?"""
    cohort, files = rendered
    page = Page(browser, files[assignment], assignment)
    try:
        check_self_contained(page, files[assignment])
        counts = page.attrs('svg[data-plot="score-histogram"] .bar', "data-count")
        assert sum(int(c) for (c,) in counts) == len(cohort.graded(assignment))
    finally:
        page.close()
