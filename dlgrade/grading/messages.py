"""What a test's message may say: the trusted side's rule, applied in one place.

A *hidden* test's message carries only text the graders' authors wrote and numbers the
trusted side formatted. Two checks, both allow-lists:

1. Anything the sandbox sent is marked where it was formatted into the message
   (:class:`dlgrade.grading.proxy.SandboxText`); each marked span becomes ``…``.
2. Every remaining whitespace-separated token must be made of words that occur in the
   string literals of the graders' own files (and of :mod:`dlgrade.grading.expect`),
   digits and punctuation, with no run of more than :data:`MAX_DIGITS` digits; any other
   token becomes ``…``. This catches sandbox text that reached the message unmarked
   (sliced, joined, upper-cased).

A *visible* test may also show what the student's code said, cut short and without
control characters.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from dlgrade.grading import expect
from dlgrade.grading import files as submitted_files
from dlgrade.grading.proxy import MARK_CLOSE, MARK_OPEN

MAX_LENGTH = 2000
MAX_DIGITS = 12
REDACTED = "…"
WORD = re.compile(r"[^\W\d_]+")
MARKED = re.compile(f"{MARK_OPEN}[^{MARK_CLOSE}]*(?:{MARK_CLOSE}|$)")
UNPRINTABLE = re.compile(r"[^\S\n ]|[\x00-\x1f\x7f-\x9f\u2028\u2029\ufdd0-\ufdef]")
LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1},}}")
BASE_WORDS = frozenset(
    "a an the of and or not to got expected tensor tensors shape dtype torch Size inf nan "
    "e None True False bool int uint float bfloat half double complex list dict tuple str "
    "NoneType ndarray object".split()
)
"""Words the trusted side itself formats into messages (dtypes, shapes, type names)."""


def grader_words(graders_dir: Path) -> frozenset[str]:
    """Every word of every string literal in the graders' files, in `expect` and in the
    submitted files' reader (whose messages name a missing file)."""
    words = set(BASE_WORDS)
    files = [
        p
        for p in sorted(Path(graders_dir).rglob("*.py"))
        if "variants" not in p.relative_to(graders_dir).parts
    ]
    for path in [*files, Path(expect.__file__), Path(submitted_files.__file__)]:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.update(WORD.findall(node.value))
    return frozenset(words)


def _known(token: str, words: frozenset[str]) -> bool:
    return not LONG_NUMBER.search(token) and all(w in words for w in WORD.findall(token))


def hidden(text: str, words: frozenset[str]) -> str:
    """`text` reduced to grader-authored words and trusted numbers (see the module)."""
    text = UNPRINTABLE.sub(" ", MARKED.sub(REDACTED, str(text)))
    parts = re.split(r"(\s+)", text[: MAX_LENGTH * 2])
    kept = [p if p.isspace() or not p or _known(p, words) else REDACTED for p in parts]
    out = re.sub(rf"{REDACTED}(?:\s*{REDACTED})+", REDACTED, "".join(kept)).strip()
    return out[:MAX_LENGTH]


def visible(text: str, limit: int = MAX_LENGTH) -> str:
    """`text` (which may quote the student's code) without marks or control characters,
    cut to `limit` characters."""
    clean = UNPRINTABLE.sub(" ", str(text).replace(MARK_OPEN, "").replace(MARK_CLOSE, ""))
    clean = clean.strip()
    return clean if len(clean) <= limit else clean[: limit - 1] + REDACTED
