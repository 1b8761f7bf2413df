"""Integrity: what a submission displays reaches its readers as data, never as script.

A hostile submission displays script through every channel it has (HTML, markdown,
Javascript and SVG outputs, its own markdown and raw cells, an exception message, cell
and notebook metadata, and outputs forged by patching the sandbox worker). After the real
sandboxed batch, neither the executed notebook in autograded/ (rendered with nbgrader's
formgrader template, as the formgrader shows it) nor the feedback page contains a live
script, event handler or script URL; the harmless text still shows, escaped. Chromium
then opens the feedback page, with and without its CSP, and nothing runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from dlgrade import sanitize
from dlgrade.feedback import write_feedback

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
CHROMIUM = Path("/usr/bin/chromium")
PWN = "window.__pwned=1;document.title=1;alert(1)"
ACTIVE_TAGS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "svg", "math",
    "style", "link", "meta", "base", "frame", "frameset", "applet", "textarea",
}  # fmt: skip
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}

CELLS = [
    (
        "code",
        "from IPython.display import display, HTML, Markdown, Javascript, SVG\n"
        f"display(HTML('<script>{PWN}</script><b>visible-html</b>"
        f'<img src=x onerror="{PWN}"><a href="javascript:{PWN}">visible-link</a>\'))',
    ),
    (
        "code",
        f"display(Markdown('visible-md <img src=x onerror=\"{PWN}\"> [md-link](javascript:{PWN})'))",
    ),
    ("code", f"display(Javascript('{PWN}'))"),
    (
        "code",
        'display(SVG(\'<svg xmlns="http://www.w3.org/2000/svg" onload="' + PWN + '">'
        "<script>" + PWN + "</script><text>svg</text></svg>'))",
    ),
    (
        "code",
        "display({'application/javascript': '" + PWN + "', 'text/plain': 'visible-bundle', "
        "'text/html': '<iframe srcdoc=\"<script>" + PWN + "</script>\"></iframe>'}, raw=True)",
    ),
    (
        "code",
        # a patched worker: this cell's cell_done frame carries what the student wants
        "import gc\n_W = next(o for o in gc.get_objects() if type(o).__name__ == 'Worker' "
        "and hasattr(o, 'load_helpers'))\n"
        "_W._outputs = lambda cap: [{'output_type': 'display_data', 'metadata': "
        "{'text/html': {'isolated': False}}, 'data': {"
        f"'application/javascript': '{PWN}', "
        f"'text/html': '<script>{PWN}</script><p onclick=\"{PWN}\">visible-injected</p>', "
        f"'image/svg+xml': '<svg onload=\"{PWN}\"></svg>', "
        f"'image/png': '<script>{PWN}</script>', "
        f"'image/jpeg': '{PNG}', "
        "'application/vnd.jupyter.widget-view+json': '{\"model_id\": \"x\"}', "
        "'application/vnd.bokehjs_exec.v0+json': '', "
        f"'text/markdown': '<img src=x onerror=\"{PWN}\">visible-injected-md'}}}}]",
    ),
    (
        "markdown",
        f'# visible-mdcell\n\n<script>{PWN}</script>\n\n<img src=x onerror="{PWN}">\n\n'
        f"[mdcell-link](javascript:{PWN}) <a href='javascript:{PWN}'>a</a>\n\n"
        f"```\ncode\n\n[fence-link](javascript:{PWN})\n```\n\n"
        f"<details><summary>s</summary><svg><script>{PWN}</script></svg></details>",
    ),
    ("raw", f'<script>{PWN}</script>visible-raw <img src=x onerror="{PWN}">'),
    ("code", f"raise ValueError('visible-exc <script>{PWN}</script>')"),
]
VISIBLE = [
    "visible-html", "visible-link", "visible-md", "visible-bundle", "visible-injected",
    "visible-injected-md", "visible-mdcell", "visible-raw", "visible-exc",
]  # fmt: skip


def hostile_notebook(course) -> nbformat.NotebookNode:
    nb = course.notebook("blank")
    for kind, source in CELLS:
        nb.cells.append(getattr(nbformat.v4, f"new_{kind}_cell")(source))
    nb.cells[-1].metadata["tags"] = ['x"><script>' + PWN + "</script>"]
    nb.cells.append(
        nbformat.v4.new_markdown_cell(
            "metadata",
            metadata={"nbgrader": {"solution": True, "grade_id": f'x"><script>{PWN}</script>'}},
        )
    )
    nb.metadata["title"] = f"</title><script>{PWN}</script>"
    return nb


def live_content(html: str) -> list[str]:
    """Every active tag, event handler and script URL in `html`."""
    found = []
    for el in BeautifulSoup(html, "html.parser").find_all(True):
        if el.name in ACTIVE_TAGS:
            found.append(f"<{el.name}>")
        for attr, value in el.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            url = re.sub(r"[\x00-\x20]", "", value).lower()
            if attr.lower().startswith("on"):
                found.append(f"{el.name} {attr}")
            if attr.lower() in URL_ATTRS and url.startswith(("javascript:", "vbscript:")):
                found.append(f"{el.name} {attr}={value[:40]}")
            if (
                attr.lower() == "src"
                and url.startswith("data:")
                and not url.startswith(("data:image/png;", "data:image/jpeg;", "data:image/gif;"))
            ):
                found.append(f"{el.name} src={value[:40]}")
    return found


def formgrader_html(path: Path) -> str:
    """The executed notebook as nbgrader's formgrader renders it (its own template), less
    the formgrader's own score and comment fields."""
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    exporter = HTMLExporter(
        template_name="formgrade", extra_template_basedirs=[handlers.template_path]
    )
    resources = {
        "assignment_id": "hello", "notebook_id": "hello", "submission_id": "s1", "index": 0,
        "total": 1, "base_url": "/services/course", "student": "mallory", "last_name": "",
        "first_name": "", "notebook_path": "autograded/mallory/hello/hello.ipynb",
    }  # fmt: skip
    body, _ = exporter.from_filename(str(path), resources=resources)
    container = BeautifulSoup(body, "html.parser").find(id="notebook-container")
    for own in container.select(".nbgrader_cell > .panel-heading, .nbgrader_cell > .panel-footer"):
        own.decompose()
    return str(container)


def _result(course, student: str) -> dict:
    return json.loads(course.paths.results(student, "hello").read_text())


@pytest.fixture(scope="module")
def hostile(module_course):
    course = module_course
    course.submit("mallory", hostile_notebook(course))
    course.submit("honest", course.notebook("reference"))
    results = course.grade(workers=1)
    feedback = {s: write_feedback(course.paths, "hello", s) for s in ("mallory", "honest")}
    return course, results, feedback


# -- the real batch ------------------------------------------------------------------------
@pytest.mark.slow
def test_hostile_submission_is_graded_and_honest_keeps_marks(hostile):
    """Is the hostile submission graded as an ordinary blank one, beside an honest one?"""
    _, results, _ = hostile
    assert results["mallory"]["score"] == 0.0 and results["mallory"]["max_score"] == 5.0
    assert results["honest"]["score"] == 5.0


@pytest.mark.slow
def test_autograded_notebook_carries_only_sanitized_content(hostile):
    """Does the executed notebook hold only allowed MIME types and render, through the
    formgrader's own template, with no live script, handler or script URL?"""
    course, _, _ = hostile
    path = course.paths.autograded("mallory", "hello") / "hello.ipynb"
    nb = nbformat.read(path, as_version=4)
    mimes = {m for c in nb.cells for o in c.get("outputs", []) for m in o.get("data", {})}
    assert mimes <= set(sanitize.OUTPUT_TYPES), mimes
    assert {c.cell_type for c in nb.cells} <= {"code", "markdown"}
    assert not any(o.get("metadata") for c in nb.cells for o in c.get("outputs", []))
    html = formgrader_html(path)
    assert live_content(html) == []
    text = BeautifulSoup(html, "html.parser").get_text()
    assert [v for v in VISIBLE if v not in text] == []
    assert "<script>" in text  # shown as text
    assert "not shown" in text  # the note where a MIME type was dropped


@pytest.mark.slow
def test_feedback_html_has_no_live_content(hostile):
    """Does the hostile student's feedback page hold no script, handler or script URL,
    under a CSP that allows no script, while the honest one's still shows the notebook?"""
    _, _, feedback = hostile
    soup = BeautifulSoup(feedback["mallory"].read_text(), "html.parser")
    assert live_content(str(soup.body)) == []
    assert [el.name for el in soup.head.find_all(True)] == ["meta", "meta", "title", "style"]
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta["content"] == sanitize.PAGE_CSP and "script-src" not in meta["content"]
    text = soup.get_text()
    assert [v for v in VISIBLE if v not in text] == []
    honest = BeautifulSoup(feedback["honest"].read_text(), "html.parser")
    assert "def softmax" in honest.get_text()


def visit(browser, path: Path) -> dict:
    """What a page did when opened: dialogs, console messages, requests, the globals and
    title its payloads would set, and its visible text."""
    page = browser.new_page()
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("console", lambda m: events.append(f"console {m.text}"))
    page.on("request", lambda r: r.url.startswith("file:") or events.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_timeout(300)
    seen = {
        "pwned": page.evaluate("window.__pwned"),
        "title": page.title(),
        "text": page.inner_text("body"),
        "events": events,
    }
    page.close()
    return seen


@pytest.mark.slow
def test_no_script_runs_when_the_feedback_is_opened_in_chromium(hostile, tmp_path):
    """Opened in headless Chromium, with and without its CSP, does the feedback page run
    nothing (no global set, no title change, no dialog, no request) and show the text?"""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Chromium is missing: run `make setup` as root")
    _, _, feedback = hostile
    no_csp = tmp_path / "no_csp.html"
    no_csp.write_text(
        re.sub(
            r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", feedback["mallory"].read_text()
        )
    )
    assert "Content-Security-Policy" not in no_csp.read_text()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking"],
        )
        try:
            control = tmp_path / "control.html"
            control.write_text(f"<script>{PWN}</script>")
            assert visit(browser, control)["pwned"] == 1  # scripts do run where allowed
            control.write_text(f'<meta http-equiv="Content-Security-Policy" '
                               f'content="{sanitize.PAGE_CSP}"><script>{PWN}</script>')  # fmt: skip
            assert visit(browser, control)["pwned"] is None
            for path in (feedback["mallory"], no_csp):
                seen = visit(browser, path)
                assert seen["pwned"] is None and seen["events"] == [], (path, seen)
                assert seen["title"] == "Feedback: hello (mallory)"
                assert [v for v in VISIBLE if v not in seen["text"]] == []
                assert "<script>" in seen["text"]
        finally:
            browser.close()


@pytest.mark.slow
def test_one_failing_feedback_does_not_stop_the_others(hostile):
    """With one student's results.json corrupt and another's notebook unreadable, does
    everyone else still get feedback, the unreadable one its scores, and does
    `dlgrade feedback` exit non-zero naming the one that failed?"""
    course, _, feedback = hostile
    for s in ("aaa_broken", "aab_unreadable"):
        course.paths.submitted(s, "hello").mkdir(parents=True, exist_ok=True)
    broken = course.paths.results("aaa_broken", "hello")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{not json")
    odd = course.paths.autograded("aab_unreadable", "hello")
    odd.mkdir(parents=True, exist_ok=True)
    (odd / "results.json").write_text(json.dumps({**_result(course, "honest"), "student": "x"}))
    (odd / "hello.ipynb").write_text("{not a notebook")
    for s in ("mallory", "honest"):
        feedback[s].unlink()
    proc = subprocess.run(
        [sys.executable, "-m", "dlgrade", "feedback", "--assignment=hello"],
        cwd=course.root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "hello/aaa_broken" in proc.stderr and "no feedback for 1" in proc.stderr
    assert feedback["mallory"].exists() and feedback["honest"].exists()
    page = (course.paths.feedback("aab_unreadable", "hello") / "hello.html").read_text()
    assert 'id="notebook-failed"' in page and 'data-score="5.0"' in page


# -- the sanitizer on its own -----------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        f"<script>{PWN}</script>",
        f"<img src=x onerror='{PWN}'>",
        f"[x](javascript:{PWN})",
        f"<JaVaScRiPt:{PWN}>",
        f"```\na\n\n[x](javascript:{PWN})\n<img src=x onerror='{PWN}'>\n```",
        f"<foo>[x](javascript:{PWN})</foo>",
        f"    indented\n\n    <script>{PWN}</script>",
        f"<div>\n\n<p onclick='{PWN}'>x</p>\n\n</div>",
        f'<a href=" java\tscript:{PWN}">x</a><a href="data:text/html,<script>">y</a>',
        f'<img src="data:image/svg+xml;base64,PHN2Zz4="><img src="data:image/png;base64,{PNG}">',
        '<img src="/hub/logout"><img src="https://tracker.example/p.gif">',
        "<style>body{display:none}</style><p style='position:fixed'>x</p><form><input></form>",
        "![a](attachment:evil.svg) ![b](attachment:missing.png) $a<b$",
    ],
)
def test_markdown_renders_inert_however_rendered_again(source):
    """Does sanitized markdown stay inert when nbconvert renders it again, and is
    sanitizing idempotent?"""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    attachments = {"evil.svg": {"image/svg+xml": "PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"}}
    block = sanitize.markdown(source, attachments)
    assert sanitize.markdown(block) == block
    html = markdown2html_mistune(block)
    assert live_content(html) == []
    assert "/hub/logout" not in html and "tracker.example" not in html


def test_outputs_keep_only_checked_types():
    """Are only text, HTML/markdown (cleaned) and real PNG/JPEG/GIF kept, with a note
    saying what was dropped?"""
    out = sanitize.output(
        {
            "output_type": "execute_result",
            "metadata": {"image/png": {"width": 3}},
            "data": {
                "image/png": PNG,
                "image/jpeg": PNG,
                "image/gif": "R0lGODlh",
                "image/svg+xml": "<svg/>",
                "application/javascript": PWN,
                "text/plain": ["a", "b"],
                "text/html": f"<b onclick='{PWN}'>b</b>",
            },
        }
    )
    assert set(out.data) == {"image/png", "image/gif", "text/plain", "text/html"}
    assert out.data["text/html"] == "<b>b</b>" and out.metadata == {}
    assert "image/jpeg" in out.data["text/plain"] and "image/svg+xml" in out.data["text/plain"]
    assert sanitize.output({"output_type": "stream", "name": "x", "text": 3}).name == "stdout"
    assert sanitize.output({"output_type": "clear_output"}) is None
    lone = sanitize.output({"output_type": "display_data", "data": {"text/html": "<b>\ud800</b>"}})
    assert lone.data["text/html"] == "<b>\\ud800</b>"  # a lone surrogate cannot be UTF-8


def test_cell_metadata_is_an_allow_list():
    """Do only typed nbgrader fields and plain tags survive, and a forged grade_id drop
    the nbgrader metadata it came with?"""
    meta = sanitize.cell_metadata(
        {
            "nbgrader": {"grade_id": "ok_1", "solution": True, "points": "3", "grade": 1},
            "tags": ["experiment", 'x"><b>'],
            "jupyter": {"source_hidden": True},
        }
    )
    assert meta == {"nbgrader": {"grade_id": "ok_1", "solution": True}, "tags": ["experiment"]}
    assert sanitize.cell_metadata({"nbgrader": {"grade_id": '"><script>'}}) == {}


def test_course_service_sends_the_formgrader_csp(tmp_path):
    """Does the course service (the formgrader's server) send the strict CSP, and do the
    users' own servers keep jupyter-server's default?"""
    from dlgrade.hub.course import write_jupyter_configs
    from dlgrade.hub.settings import HubSettings, plan

    p = plan(HubSettings(state_dir=str(tmp_path)), "dl-x")
    write_jupyter_configs(p)

    def settings(role: str) -> dict:
        path = p.jupyter_config_dir(role) / "jupyter_server_config.json"
        return json.loads(path.read_text())["ServerApp"].get("tornado_settings", {})

    assert settings("course") == {"headers": {"Content-Security-Policy": sanitize.FORMGRADER_CSP}}
    assert settings("staff") == settings("students") == {}
    for directive in ("object-src 'none'", "base-uri 'self'", "frame-ancestors 'self'"):
        assert directive in sanitize.FORMGRADER_CSP


def test_sanitized_notebook_is_valid_deterministic_and_idempotent():
    """Is the sanitized notebook valid nbformat, the same on every run (odd or repeated
    cell ids replaced by positions), and unchanged by sanitizing it again?"""
    nb = nbformat.v4.new_notebook(metadata={"title": f"</title><script>{PWN}</script>"})
    nb.cells = [
        nbformat.v4.new_markdown_cell(f"# t\n<img src=x onerror='{PWN}'>"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_raw_cell(f"<script>{PWN}</script>"),
    ]
    nb.cells[0].id, nb.cells[2].id = "bad id!", nb.cells[1].id
    once = sanitize.notebook(nb)
    nbformat.validate(once)
    assert nbformat.writes(once) == nbformat.writes(sanitize.notebook(nb))
    assert nbformat.writes(sanitize.notebook(once)) == nbformat.writes(once)
    assert [c.id for c in once.cells] == ["cell-0", nb.cells[1].id, "cell-2"]
    assert once.metadata == sanitize.KERNEL_METADATA
