"""Two courses on one JupyterHub, clicked through in headless Chromium: a student of both
works in both, everyone else sees and opens only their own course."""

from __future__ import annotations

import pwd
from pathlib import Path

import pytest
from hubdriver import HubUser
from playwright.sync_api import expect

from dlgrade.hub.users import run_as

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def home(username: str) -> Path:
    return Path(pwd.getpwnam(username).pw_dir)


def listed(user: HubUser, assignment: str) -> dict[str, int]:
    """How often `assignment` is in the released, fetched and submitted lists."""
    return {
        name: user.row(name, assignment).count() for name in ("released", "fetched", "submitted")
    }


def test_two_courses_on_one_hub(course_hub, browser, shots):
    """Does the instructor of both courses release in the second course's formgrader; does
    alice, a student of both, find both courses in her assignment list and fetch and submit
    in both (each in ~/<course_id>/), while bob sees only his course and cannot fetch from
    the other; is the TA of the first course refused on the second course's formgrader and
    its API, and can neither the TA nor the first course's grader account list the second
    course's root or the submissions in its exchange?"""
    hub = course_hub
    p = hub.hub.plan
    first, second = hub.course_id, hub.second
    a, h = hub.assignment.name, hub.second_assignment
    second_root = p.course(second).course_root
    second_exchange = p.exchange_root / second
    users: dict[str, HubUser] = {}

    def user(name: str) -> HubUser:
        users[name] = HubUser(browser, hub.url, name, hub.passwords[name], shots)
        users[name].login()
        return users[name]

    try:
        # 1. The instructor (of both) releases the second course's assignment from its own
        #    formgrader; the first course's assignment is out too (the cycle test released it).
        prof = user(hub.instructor)
        prof.formgrader(second)
        assert f"Successfully released '{h}'" in prof.formgrader_action(h, "release")
        prof.shot("second-course-released")
        prof.close_modal()
        assert (second_exchange / "outbound" / h / f"{h}.ipynb").exists()
        if not (hub.exchange / "outbound" / a).exists():  # this test run on its own
            prof.formgrader(first)
            assert f"Successfully released '{a}'" in prof.formgrader_action(a, "release")
            prof.close_modal()

        # 2. Alice takes both courses: both are in her course menu, she fetches (and submits)
        #    in each, and each course's copy lands in its own folder.
        alice = user(hub.students[0])
        alice.open_assignment_list(first)
        assert alice.courses() == sorted([first, second])
        if listed(alice, a)["fetched"] == 0:
            alice.fetch(a)
        assert sum(listed(alice, a).values()) >= 1
        alice.shot("first-course-list")
        alice.select_course(second)
        alice.fetch(h)
        if a != h:  # each list is its course's
            expect(alice.row("released", a)).to_have_count(0)
        alice.shot("second-course-fetched")
        alice.submit(h)
        alice.shot("second-course-submitted")
        assert (home(alice.username) / second / h / f"{h}.ipynb").exists()
        assert (home(alice.username) / first / a / f"{a}.ipynb").exists()
        assert len(list((second_exchange / "inbound").iterdir())) == 1

        # 3. Bob takes the first course only: the second is neither in his menu nor can he
        #    fetch from it with nbgrader's command line.
        bob = user(hub.students[1])
        bob.open_assignment_list()
        assert bob.courses() == [first]
        bob.shot("one-course-only")
        fetch = [str(p.bin / "nbgrader"), "fetch_assignment", h, f"--course={second}"]
        refused = run_as(bob.username, fetch, env=hub.user_env(bob.username), check=False)
        assert refused.returncode != 0
        assert "do not have access" in refused.stdout + refused.stderr
        assert not (home(bob.username) / second).exists()

        # 4. The TA of the first course opens its formgrader, and is refused the second's.
        ta = user(hub.ta)
        ta.formgrader(first)
        for path in (
            f"/services/{second}/formgrader/manage_assignments",
            f"/services/{second}/formgrader/manage_submissions/{h}",
            f"/services/{second}/api/contents",
            f"/services/{second}/lab",
        ):
            assert ta.status(path) == 403, path
        text = ta.visit(f"/services/{second}/formgrader/manage_assignments")
        assert "403" in text and "Manage Assignments" not in text
        ta.shot("other-course-formgrader-denied")
        assert prof.status(f"/services/{second}/api/contents") == 200

        # 5. Unix permissions: the first course's grader account (which the TA's formgrader
        #    and terminal run as) and the TA's own account can list neither the second
        #    course's root nor the submissions in its exchange.
        for account in (p.course(first).grader_user, hub.ta):
            for argv in (
                ["ls", str(second_root)],
                ["ls", str(second_exchange / "inbound")],
                ["cat", str(second_root / "nbgrader_config.py")],
            ):
                assert run_as(account, argv, check=False).returncode != 0, (account, argv)
        assert oct(second_root.stat().st_mode & 0o777) == "0o700"
    finally:
        for u in users.values():
            u.close()
