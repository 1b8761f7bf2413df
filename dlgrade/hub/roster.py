"""The roster: who is on the hub, in which role, for which of its courses."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

ROLES = ("instructor", "ta", "student")
GRADING_ROLES = ("instructor", "ta")

# Valid Unix login and nbgrader student id: no '+', '*', '/', upper case or leading digit.
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,30}$")
COURSE_ID = re.compile(r"^[a-z][a-z0-9-]*$")


class RosterError(ValueError):
    """The roster file cannot be used as it is."""


@dataclass(frozen=True)
class Member:
    username: str
    role: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    courses: tuple[str, ...] = ()
    """Course ids this row's role is for (empty: every course of the hub)."""

    @property
    def grades(self) -> bool:
        """Whether this member may open the formgrader of their courses."""
        return self.role in GRADING_ROLES

    def in_course(self, course_id: str) -> bool:
        return not self.courses or course_id in self.courses


def check_username(name: str) -> str:
    """Return `name` if it is a safe Unix login and nbgrader student id, else raise."""
    if not USERNAME.match(name):
        raise RosterError(
            f"invalid username {name!r}: use 1-31 lower-case letters, digits, '_' or '-',"
            " starting with a letter or '_'"
        )
    return name


def parse_courses(text: str) -> tuple[str, ...]:
    """Course ids of a roster's `courses` cell: separated by ';' (or ',', spaces)."""
    ids = tuple(dict.fromkeys(c for c in re.split(r"[;,\s]+", text.strip().lower()) if c))
    for c in ids:
        if not COURSE_ID.match(c):
            raise RosterError(f"invalid course id {c!r} in the courses column")
    return ids


def parse_roster(text: str, source: str = "roster") -> list[Member]:
    """Members from CSV text with a header `username,role[,first_name,last_name,email,courses]`
    (`courses`: the course ids of the row, separated by ';'; empty = every course)."""
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
        try:
            courses = parse_courses(row.get("courses") or "")
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
                courses=courses,
            )
        )
    if not any(m.grades for m in members):
        raise RosterError(f"{source}: nobody can grade: add an instructor or a ta")
    return members


def read_roster(path: str | Path) -> list[Member]:
    """Members listed in the roster CSV file at `path`."""
    path = Path(path)
    return parse_roster(path.read_text(encoding="utf-8"), source=str(path))


def students(members: list[Member], course_id: str | None = None) -> list[Member]:
    """The students (of `course_id`, when given)."""
    return [m for m in members if m.role == "student" and in_course(m, course_id)]


def graders(members: list[Member], course_id: str | None = None) -> list[Member]:
    """The instructors and TAs (of `course_id`, when given)."""
    return [m for m in members if m.grades and in_course(m, course_id)]


def in_course(member: Member, course_id: str | None) -> bool:
    return course_id is None or member.in_course(course_id)


def for_courses(
    members: list[Member], served: list[str], known: list[str] | None = None
) -> list[Member]:
    """The members of a hub serving the course ids `served`: rows only for courses the hub
    does not serve (but that are `known`, courses of the repository) are left out; a course
    id that is neither, or a served course that nobody can grade, is an error."""
    unknown = sorted({c for m in members for c in m.courses} - set(served) - set(known or []))
    if unknown:
        raise RosterError(
            f"the roster names course ids {', '.join(unknown)} that the hub does not know "
            f"(it serves {', '.join(served)})"
        )
    kept = [m for m in members if not m.courses or set(m.courses) & set(served)]
    for course_id in served:
        if not graders(kept, course_id):
            raise RosterError(f"nobody can grade the course {course_id}: add an instructor or a ta")
    return kept


def gradebook_csv(members: list[Member], course_id: str | None = None) -> str:
    """The students (of `course_id`) as the CSV `nbgrader db student import` reads."""
    lines = ["id,first_name,last_name,email"]
    for m in students(members, course_id):
        fields = [m.username, m.first_name, m.last_name, m.email]
        lines.append(",".join('"' + f.replace('"', '""') + '"' for f in fields))
    return "\n".join(lines) + "\n"
