"""Untrusted notebook content made safe to render: one allow-list for everything a
submission produced (outputs of every kind, markdown and raw cells, attachments, metadata).

What passes: text, PNG/JPEG/GIF images whose bytes are what they claim, and HTML or
markdown reduced by nh3 to inert tags. Markdown is stored as one HTML block that any
CommonMark renderer (nbconvert's, the formgrader's, JupyterLab's) passes through
unchanged, so rendering it again cannot bring back a link or tag the sanitizer removed.
The Content-Security-Policy strings of every page that shows such content live here too.
"""

from __future__ import annotations

import base64
import binascii
import html
import math
import re
from typing import Any

import nbformat
import nh3
from nbformat import NotebookNode
from pygments.token import STANDARD_TYPES

# Pages that need no script of their own: feedback and the class reports.
PAGE_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'"
)
# The formgrader's own pages carry inline scripts with per-page values (nbgrader's
# templates), so scripts cannot be limited to hashes or nonces; the sanitized notebook
# is what keeps student script out, and this policy keeps anything from loading from or
# sending to another origin, from framing the service elsewhere, or from rebasing URLs.
FORMGRADER_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)

IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
TEXT_TYPES = ("text/plain",)
MARKUP_TYPES = ("text/html", "text/markdown")
OUTPUT_TYPES = (*TEXT_TYPES, *MARKUP_TYPES, *IMAGE_MAGIC)
MAX_TEXT = 200_000

TAGS = nh3.ALLOWED_TAGS - {"area", "map"}
ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "data"}
_CODE_CLASSES = frozenset({*STANDARD_TYPES.values(), "highlight"} - {""})
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif));base64,([A-Za-z0-9+/=\s]*)\Z")
_LINK = re.compile(r"(?:https?://|mailto:|#)\S*\Z", re.IGNORECASE)
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]{1,100}\Z")
_URL_ATTRS = {"href", "src", "cite"}
_SIZE_ATTRS = {"width", "height"}
_SIZE = re.compile(r"[0-9]{1,4}\Z")
MAX_SIZE = 2000
_MIME_NAME = re.compile(r"[^A-Za-z0-9.+/_-]")

KERNEL_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}
NBGRADER_FLAGS = ("grade", "solution", "locked", "task")


def valid_text(text: str) -> str:
    """`text` as valid Unicode: lone surrogates (a submission can print them) shown as
    escapes, since they cannot be written as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def image_ok(mime: str, data: Any) -> bool:
    """Whether `data` is base64 of an image of type `mime` (by its first bytes)."""
    if mime not in IMAGE_MAGIC or not isinstance(data, str):
        return False
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return raw.startswith(IMAGE_MAGIC[mime])


def _attribute(tag: str, attr: str, value: str, any_class: bool) -> str | None:
    if attr in _URL_ATTRS:
        if tag == "img" and attr == "src":
            m = _DATA_IMAGE.match(value.strip())
            return value if m and image_ok(m.group(1), m.group(2)) else None
        return value if attr == "href" and _LINK.match(value.strip()) else None
    if attr in _SIZE_ATTRS:
        return value if _SIZE.match(value.strip()) and int(value) <= MAX_SIZE else None
    if attr == "class" and not any_class:
        return " ".join(c for c in value.split() if c in _CODE_CLASSES) or None
    return value


def clean_html(text: str, *, any_class: bool = False) -> str:
    """`text` with only inert tags and attributes left (no script, handler, style, form,
    frame or object; links to http(s)/mailto/fragments only; images only as checked
    data: URLs; class names only pygments' unless `any_class`, for pages whose own
    scripts cannot be steered by class names)."""
    return nh3.clean(
        valid_text(text),
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=lambda tag, attr, value: _attribute(tag, attr, value, any_class),
        url_schemes=URL_SCHEMES,
        strip_comments=True,
        link_rel=None,
    )


def _render_markdown(source: str, attachments: dict) -> str:
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(
        escape=False,
        allow_harmful_protocols=False,
        exclude_anchor_links=True,
        attachments=attachments,
    )
    return MarkdownWithMath(renderer=renderer).render(source)


def _as_block(cleaned: str) -> str:
    body = cleaned.replace("\r", "").replace("\n", "&#10;")
    return f"<div>{body}</div>"


def markdown(source: str, attachments: dict | None = None) -> str:
    """Markdown (a cell or a text/markdown output) as one inert HTML block; images from
    `attachments` are embedded if they are real PNG/JPEG/GIF. Idempotent."""
    source = valid_text(source)
    try:
        if source.startswith("<div>") and source.endswith("</div>") and "\n" not in source:
            rendered = clean_html(source[5:-6])
        else:
            rendered = clean_html(_render_markdown(source, attachments or {}))
        block = _as_block(rendered)
        if _render_markdown(block, {}).strip() == block:
            return block
    except Exception:  # noqa: BLE001 - any renderer failure falls back to plain text
        pass
    return plain_block(source)


def plain_block(text: str) -> str:
    """`text` shown as preformatted plain text, as a markdown source."""
    return _as_block(f"<pre>{html.escape(text, quote=False)}</pre>")


def _text(value: Any) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "".join(value)
    return valid_text(value[:MAX_TEXT]) if isinstance(value, str) else None


def mime_bundle(data: Any) -> tuple[dict, list[str]]:
    """The allowed, checked part of an output's data; and the MIME types dropped."""
    kept: dict = {}
    dropped: list[str] = []
    for mime, value in data.items() if isinstance(data, dict) else []:
        text = _text(value)
        if mime in IMAGE_MAGIC and image_ok(mime, text):
            kept[mime] = "".join(text.split())
        elif mime == "text/html" and text is not None:
            kept[mime] = clean_html(text)
        elif mime == "text/markdown" and text is not None:
            kept[mime] = markdown(text)
        elif mime in TEXT_TYPES and text is not None:
            kept[mime] = text
        else:
            dropped.append(_MIME_NAME.sub("?", str(mime)[:80]))
    return kept, dropped


def output(out: Any) -> NotebookNode | None:
    """One output rebuilt from its allowed parts (None if nothing of it is allowed)."""
    if not isinstance(out, dict):
        return None
    kind = out.get("output_type")
    if kind == "stream":
        name = "stderr" if out.get("name") == "stderr" else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=_text(out.get("text")) or "")
    if kind == "error":
        ename = _text(out.get("ename")) or "Error"
        evalue = _text(out.get("evalue")) or ""
        return nbformat.v4.new_output(
            "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
        )
    if kind in ("display_data", "execute_result"):
        data, dropped = mime_bundle(out.get("data"))
        if dropped:
            note = f"[dlgrade: output of type {', '.join(dropped)} not shown]"
            data["text/plain"] = f"{data['text/plain']}\n{note}" if "text/plain" in data else note
        return nbformat.v4.new_output("display_data", data=data) if data else None
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _items(value: Any) -> list:
    if isinstance(value, dict):
        return list(value.items())
    return []


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def cell_metadata(meta: Any) -> dict:
    """Only nbgrader's fields (typed, with a plain grade_id) and plain tags."""
    meta = meta if isinstance(meta, dict) else {}
    out: dict = {}
    tags = meta.get("tags")
    if isinstance(tags, list):
        out["tags"] = [t for t in tags if isinstance(t, str) and _SAFE_NAME.match(t)]
    nbg = meta.get("nbgrader")
    if isinstance(nbg, dict) and isinstance(nbg.get("grade_id"), str):
        if _SAFE_NAME.match(nbg["grade_id"]):
            clean: dict = {"grade_id": nbg["grade_id"]}
            clean.update({k: nbg[k] for k in NBGRADER_FLAGS if isinstance(nbg.get(k), bool)})
            points = nbg.get("points")
            if _number(points) and 0 <= points < 1e6 and math.isfinite(points):
                clean["points"] = points
            version = nbg.get("schema_version")
            if _number(version) and isinstance(version, int) and 0 <= version < 100:
                clean["schema_version"] = version
            out["nbgrader"] = clean
    return out


def cell(c: Any) -> NotebookNode | None:
    """One cell rebuilt from its allowed parts: code keeps its source (rendered as code)
    and sanitized outputs; markdown becomes an inert block; raw text becomes plain text."""
    if not isinstance(c, dict) or not isinstance(c.get("source"), str):
        return None
    meta = cell_metadata(c.get("metadata"))
    kind = c.get("cell_type")
    source = valid_text(c["source"])
    if kind == "code":
        new = nbformat.v4.new_code_cell(source, metadata=meta)
        new.outputs = [o for o in map(output, _list(c.get("outputs"))) if o is not None]
    elif kind == "markdown":
        attachments = {
            name: {m: v for m, v in bundle.items() if image_ok(m, v)}
            for name, bundle in _items(c.get("attachments"))
            if isinstance(name, str) and isinstance(bundle, dict)
        }
        new = nbformat.v4.new_markdown_cell(markdown(source, attachments), metadata=meta)
    elif kind == "raw":
        new = nbformat.v4.new_markdown_cell(plain_block(source), metadata=meta)
    else:
        return None
    new.id = c["id"] if isinstance(c.get("id"), str) and _SAFE_NAME.match(c["id"]) else ""
    return new


def notebook(nb: NotebookNode) -> NotebookNode:
    """A copy of `nb` that carries only sanitized content (idempotent, deterministic: a
    missing, odd or repeated cell id becomes `cell-<position>`)."""
    out = nbformat.v4.new_notebook(metadata=nbformat.from_dict(KERNEL_METADATA))
    out.cells = [c for c in map(cell, _list(nb.get("cells"))) if c is not None]
    seen: set[str] = set()
    for i, c in enumerate(out.cells):
        n = i
        while not c.id or c.id in seen:
            c.id, n = f"cell-{n}", n + len(out.cells)
        seen.add(c.id)
    return out
