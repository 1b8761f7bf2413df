"""A hostile submission for the hub's grading paths: code that leaves a marker file wherever
it can write if it ever runs outside the sandbox, and outputs and markdown that run script
in the browser of whoever views them unsanitized (each payload sets `window.__pwned` or
opens a dialog)."""

from __future__ import annotations

from html.parser import HTMLParser

import nbformat
from nbformat import NotebookNode

from dlgrade.notebook import is_solution

FLAG = "__pwned"
HTML = (
    f'<script>window.{FLAG} = "script"; console.log("{FLAG} script")</script>'
    f"<img src=\"x\" onerror=\"window.{FLAG} = 'img onerror'; alert('pwned')\">"
    f'<a href="javascript:window.{FLAG}=1">click</a>'
    f'<iframe srcdoc="&lt;script&gt;parent.{FLAG}=1&lt;/script&gt;"></iframe>'
)
SVG = f'<svg xmlns="http://www.w3.org/2000/svg" onload="window.{FLAG} = \'svg onload\'"></svg>'
MARKDOWN = f'**notes** <img src="y" onerror="window.{FLAG} = \'markdown output\'">'
MARKDOWN_CELL = f'My notes <img src="z" onerror="window.{FLAG} = \'markdown cell\'">'


def payload(markers: list[str]) -> str:
    """Code that writes each marker file it can, then displays script in every rich form."""
    return f"""\
import pathlib as _pathlib
for _marker in {markers!r}:
    try:
        _pathlib.Path(_marker).write_text("student code ran outside the sandbox")
    except OSError:
        pass
from IPython.display import HTML as _HTML, SVG as _SVG, Javascript as _JS
from IPython.display import Markdown as _Markdown, display as _display
_display(_HTML({HTML!r}))
_display(_SVG({SVG!r}))
_display(_Markdown({MARKDOWN!r}))
_display(_JS("window.{FLAG} = 'javascript'"))
print({HTML!r})
"""


def hostile_notebook(submission: NotebookNode, markers: list[str]) -> NotebookNode:
    """`submission` with the payload run first in its first solution cell, and a markdown cell
    of script added after it (as a student can add cells)."""
    nb = nbformat.from_dict(submission)
    index, cell = next((i, c) for i, c in enumerate(nb.cells) if is_solution(c))
    cell.source = payload(markers) + "\n" + cell.source
    nb.cells.insert(index + 1, nbformat.v4.new_markdown_cell(MARKDOWN_CELL))
    return nb


class _ActiveMarkup(HTMLParser):
    """Every place in an HTML page where the payload could run: script bodies, event handler
    attributes, javascript: URLs and frames' srcdoc that mention the flag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            value = value or ""
            active = name.startswith("on") or name == "srcdoc" or "javascript:" in value.lower()
            if active and FLAG in value:
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and FLAG in data:
            self.found.append(f"<script>{data.strip()[:80]}")


def active_payloads(page: str) -> list[str]:
    """The payloads that are live markup (not escaped text) in `page`."""
    parser = _ActiveMarkup()
    parser.feed(page)
    parser.close()
    return parser.found


def live_outputs(nb: NotebookNode) -> NotebookNode:
    """`nb` as nbgrader's in-kernel autograde writes it: the payload's rich outputs attached
    to its first solution cell, unsanitized."""
    out = nbformat.from_dict(nb)
    cell = next(c for c in out.cells if is_solution(c))
    data = {
        "text/html": HTML,
        "image/svg+xml": SVG,
        "text/markdown": MARKDOWN,
        "application/javascript": f"window.{FLAG} = 'javascript'",
        "text/plain": "<IPython.core.display.HTML object>",
    }
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    return out
