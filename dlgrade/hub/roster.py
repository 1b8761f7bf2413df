"""The course roster: who is on the hub, in which role."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "ta", "student")
GRADING_ROLES = ("instructor", "ta")

# Valid Unix login and nbgrader student id: no '+', '*', '/', upper case or leading digit.
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")


class RosterError(ValueError):
    """The roster file cannot be used as it is."""


@dataclass(frozen=True)
class Member:
    username: str
    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""

    @property
    def grades(self) -> bool:
        """Whether this member may open the course's formgrader."""
        return self.role in GRADING_ROLES


def check_username(name: str) -> str:
    """Return `name` if it is a safe Unix login and nbgrader student id, else raise."""
    if not USERNAME.match(name):
        raise RosterError(
            f"invalid username {name!r}: use 1-31 lower-case letters, digits, '_' or '-',"
            " starting with a letter or '_'"
        )
    return name


def parse_roster(text: str, source: str = "roster") -> list[Member]:
    """Members from CSV text with a header `username,role[,first_name,last_name,email]`."""
    rows = csv.DictReader(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    if rows.fieldnames is None or not {"username", "role"} <= set(rows.fieldnames):
        raise RosterError(f"{source}: the header must name at least 'username' and 'role'")
    members: list[Member] = []
    seen: set[str] = set()
    for lineno, row in enumerate(rows, start=2):
        name = (row.get("username") or "").strip()
        role = (row.get("role") or "").strip().lower()
        if not name:
            continue
        try:
            check_username(name)
        except RosterError as err:
            raise RosterError(f"{source}:{lineno}: {err}") from None
        if role not in ROLES:
            raise RosterError(f"{source}:{lineno}: role {role!r} is not one of {', '.join(ROLES)}")
        if name in seen:
            raise RosterError(f"{source}:{lineno}: {name!r} is listed twice")
        seen.add(name)
        members.append(
            Member(
                username=name,
                role=role,
                first_name=(row.get("first_name") or "").strip(),
                last_name=(row.get("last_name") or "").strip(),
                email=(row.get("email") or "").strip(),
            )
        )
    if not any(m.grades for m in members):
        raise RosterError(f"{source}: nobody can grade: add an instructor or a ta")
    return members


def read_roster(path: str | Path) -> list[Member]:
    """Members listed in the roster CSV file at `path`."""
    path = Path(path)
    return parse_roster(path.read_text(encoding="utf-8"), source=str(path))


def students(members: list[Member]) -> list[Member]:
    return [m for m in members if m.role == "student"]


def graders(members: list[Member]) -> list[Member]:
    return [m for m in members if m.grades]


def gradebook_csv(members: list[Member]) -> str:
    """The students as the CSV `nbgrader db student import` reads."""
    lines = ["id,first_name,last_name,email"]
    for m in students(members):
        fields = [m.username, m.first_name, m.last_name, m.email]
        lines.append(",".join('"' + f.replace('"', '""') + '"' for f in fields))
    return "\n".join(lines) + "\n"
