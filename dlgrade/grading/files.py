"""Files a submission holds besides its notebook, for graders that judge them.

An assignment lists, one glob pattern per line, the files its graders read in
``graders/<a>/SUBMITTED_FILES`` (``train.sbatch``, ``results/*.json``; ``#`` starts a
comment; each part of a path matches its own part of the pattern, so ``*`` never crosses a
``/``). Intake reads the matching regular files of the submission folder (never a link);
the graders get them in the trusted process as the fixture ``submitted_files``: plain bytes,
untrusted data, each bounded in size, never executed and never sent to the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

PATTERNS_FILE = "SUBMITTED_FILES"
MAX_PATTERNS = 32
MAX_JSON_DEPTH = 32


def declared_patterns(graders_dir: Path) -> tuple[str, ...]:
    """The patterns of `graders_dir`/SUBMITTED_FILES (none without the file); ValueError
    for a pattern that is absolute or climbs out of the submission folder."""
    path = Path(graders_dir) / PATTERNS_FILE
    if not path.is_file():
        return ()
    patterns = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split("/")
        if line.startswith("/") or {"..", ".", ""} & set(parts) or "\\" in line:
            raise ValueError(f"{path}: {line!r} must be a relative path inside the submission")
        patterns.append(line)
    if len(patterns) > MAX_PATTERNS:
        raise ValueError(f"{path}: more than {MAX_PATTERNS} patterns")
    return tuple(patterns)


def matches(path: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether the relative `path` matches one of `patterns`, part by part."""
    parts = path.split("/")
    for pattern in patterns:
        wanted = pattern.split("/")
        if len(wanted) == len(parts) and all(map(fnmatchcase, parts, wanted)):
            return True
    return False


class MissingFile(AssertionError):
    """A file the test needs is not in the submission (or was over the size limit)."""


class SubmittedFiles(Mapping[str, bytes]):
    """The submission's declared files: relative path -> bytes, read-only."""

    def __init__(self, files: Mapping[str, bytes] | None = None, left_out: tuple[str, ...] = ()):
        self._files = dict(sorted((files or {}).items()))
        self.left_out = tuple(left_out)
        """Matching files intake did not read (over the per-file limit)."""

    def __getitem__(self, name: str) -> bytes:
        if name not in self._files:
            why = "is over the size limit" if name in self.left_out else "is not in the submission"
            raise MissingFile(f"{name} {why}")
        return self._files[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def names(self, pattern: str = "*") -> list[str]:
        """The files whose path matches `pattern` (part by part), sorted."""
        return [n for n in self._files if matches(n, (pattern,))]

    def text(self, name: str) -> str:
        """The file as UTF-8 text; MissingFile (a failed test naming it) when absent,
        AssertionError when it is not text."""
        try:
            return self[name].decode("utf-8")
        except UnicodeDecodeError:
            raise AssertionError(f"{name} is not UTF-8 text") from None

    def json(self, name: str) -> Any:
        """The file parsed as JSON (plain data only: no NaN, no deeper than 32 levels);
        AssertionError naming the file when it is not."""
        text = self.text(name)

        def no_constant(value: str) -> Any:
            raise ValueError(f"{value} is not JSON")

        try:
            data = json.loads(text, parse_constant=no_constant)
        except (ValueError, RecursionError):
            raise AssertionError(f"{name} is not valid JSON") from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise AssertionError(f"{name} nests deeper than {MAX_JSON_DEPTH} levels")
        return data


def _depth(value: Any) -> int:
    todo, deepest = [(value, 1)], 0
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            todo += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            todo += [(v, depth + 1) for v in item]
    return deepest
