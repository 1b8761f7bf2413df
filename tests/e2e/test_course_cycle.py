"""The whole course cycle on a real JupyterHub, clicked through in headless Chromium."""

from __future__ import annotations

import json
import pwd
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from hubcourse import answers, cell_indices, hidden_fragments, leaks
from hubdriver import HubUser
from playwright.sync_api import expect
from traitlets.config.loader import PyFileConfigLoader

from dlgrade.hub.users import run_as
from dlgrade.notebook import grade_id, is_grade, is_solution
from dlgrade.sandbox.backends import get_backend_class
from tests.hub.hostile import FLAG, hostile_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GRADING_TIMEOUT_S = 600


def student_work(
    student: HubUser, course: str, assignment: str, typed: dict[str, str], release_nb
) -> None:
    """Fetch the assignment, type the answers, run the visible tests, save and submit."""
    student.open_assignment_list(course)
    student.fetch(assignment)
    student.shot("fetched")
    panel = student.open_notebook(f"{course}/{assignment}/{assignment}.ipynb")
    solutions, runnable, tests = cell_indices(release_nb)
    for gid, index in solutions.items():
        student.set_cell(panel, index, typed[gid])
    student.shot("answered")
    student.run_cells(panel, runnable)
    student.shot("visible-tests-run")
    student.save(panel)
    student.open_assignment_list(course)
    student.submit(assignment)
    student.shot("submitted")


def home(username: str) -> Path:
    return Path(pwd.getpwnam(username).pw_dir)


def submit_from_shell(hub, student: str, nb) -> None:
    """Fetch and submit as `student` with nbgrader's command line (what any student's
    terminal can do), with `nb` in place of the fetched notebook."""
    a, p, course = hub.assignment.name, hub.hub.plan, hub.course_id
    env = hub.user_env(student)
    for step in ("fetch_assignment", "submit"):
        if step == "submit":
            nbformat.write(nb, home(student) / course / a / f"{a}.ipynb")
        argv = [str(p.bin / "nbgrader"), step, a, f"--course={course}"]
        done = run_as(student, argv, env=env, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def filled(release_nb, typed: dict[str, str]):
    """The student version with `typed` in its code solution cells (written answers stay
    as released: a TA grades them)."""
    nb = nbformat.from_dict(release_nb)
    for cell in nb.cells:
        if is_solution(cell) and cell.cell_type == "code":
            cell.source = typed[grade_id(cell)]
    return nb


def manual_points(release_nb) -> float:
    """Points of the written answers (manually graded cells): the formgrader's maximum holds
    them, results.json's (the autograded part) does not."""
    return sum(
        float(cell.metadata.nbgrader.get("points", 0))
        for cell in release_nb.cells
        if cell.cell_type == "markdown" and is_solution(cell) and is_grade(cell)
    )


def sandbox_backend(course_root: Path) -> str:
    """Class name of the sandbox backend the course's nbgrader_config.py grades with."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_root)).load_config()
    return get_backend_class(config.Autograder.sandbox_backend).__name__


def saved_notebook(student: str, course: str, assignment: str):
    """The student's copy, in ~/<course_id>/<assignment>/ (nbgrader's multi-course layout)."""
    path = home(student) / course / assignment / f"{assignment}.ipynb"
    return nbformat.read(path, as_version=4)


def test_course_cycle(course_hub, browser, shots):
    """Can an instructor release, students submit, a TA grade with the hidden graders and
    release feedback, and students read a correct, leak-free score, all by clicking?"""
    hub = course_hub
    a = hub.assignment.name
    course = hub.course_id
    users = {}
    mallory = hub.hostile
    outside = Path(tempfile.mkdtemp(prefix="dlgrade-e2e-outside-"))
    outside.chmod(0o1777)
    second = hub.hub.plan.course(hub.second)
    places = (hub.course_root, home(hub.hub.plan.grader_user), second.course_root, outside)
    markers = [m / "PWNED" for m in places]

    def user(name: str) -> HubUser:
        users[name] = HubUser(browser, hub.url, name, hub.passwords[name], shots)
        return users[name]

    try:
        # 1. The instructor releases the assignment from the course's formgrader.
        prof = user(hub.instructor)
        prof.login()
        prof.shot("lab")
        prof.formgrader(course)
        prof.shot("formgrader")
        assert f"Successfully released '{a}'" in prof.formgrader_action(a, "release")
        prof.shot("released")
        prof.close_modal()
        assert (hub.exchange / "outbound" / a / f"{a}.ipynb").exists()

        # 2. Two students fetch it, answer (one correctly, one with a typical bug), run the
        #    visible tests and submit.
        release_nb = nbformat.read(hub.course_root / "release" / a / f"{a}.ipynb", as_version=4)
        alice, bob = (user(name) for name in hub.students)
        typed = {
            alice.username: answers(hub.assignment, "reference"),
            bob.username: answers(hub.assignment, hub.assignment.bug),
        }
        for student in (alice, bob):
            student.login()
            student_work(student, course, a, typed[student.username], release_nb)
            saved = saved_notebook(student.username, course, a)
            cells = {
                c.metadata.nbgrader.grade_id: c for c in saved.cells if "nbgrader" in c.metadata
            }
            for gid, text in typed[student.username].items():
                assert cells[gid].source.strip() == text.strip(), f"{student.username}: {gid}"
            ran = [c for c in saved.cells if is_grade(c) and not is_solution(c)]
            assert all(c.execution_count for c in ran), "the visible tests were not run"
        # ... and a third submits, from her terminal, work whose code leaves a marker where it
        #    can write and whose outputs and markdown carry script.
        hostile_nb = hostile_notebook(
            filled(release_nb, typed[alice.username]), [str(m) for m in markers]
        )
        submit_from_shell(hub, mallory, hostile_nb)
        correct = saved_notebook(alice.username, course, a)
        for cell in correct.cells:
            if is_grade(cell) and not is_solution(cell):
                assert not [o for o in cell.outputs if o.output_type == "error"], cell.source

        # 3. A student can open neither the formgrader nor another student's work.
        for path in (
            f"/services/{course}/formgrader/manage_assignments",
            f"/services/{course}/api/contents/graders/{a}",
            f"/user/{bob.username}/api/contents/{a}/{a}.ipynb",
            f"/user/{bob.username}/files/{a}/{a}.ipynb",
        ):
            assert alice.status(path) in (403, 404), path
        text = alice.visit(f"/services/{course}/formgrader/manage_assignments")
        assert "403" in text and "Manage Assignments" not in text
        alice.shot("formgrader-denied")
        text = alice.visit(f"/user/{bob.username}/lab")
        assert "403" in text and not alice.page.locator(".jp-LabShell").count()
        alice.shot("other-student-denied")
        for argv in (
            ["ls", str(hub.exchange / "inbound")],
            ["cat", str(home(bob.username) / course / a / f"{a}.ipynb")],
            ["ls", str(hub.course_root / "graders")],
        ):
            assert run_as(alice.username, argv, check=False).returncode != 0, argv

        # 4. The TA collects, grades with the platform's sandboxed hidden graders in the
        #    course's terminal, and releases the feedback from the formgrader.
        ta = user(hub.ta)
        ta.login()
        ta.formgrader(course)
        assert "Successfully collected" in ta.formgrader_action(a, "collect")
        ta.shot("collected")
        ta.close_modal()
        for student in (alice.username, bob.username, mallory):
            assert (hub.course_root / "submitted" / student / a / f"{a}.ipynb").exists()

        # 4a. The TA clicks the formgrader's autograde on the hostile submission: the hidden
        #     graders score it in a sandbox, nothing of it ran beside the course, and the
        #     formgrader shows its score. nbgrader's own in-kernel autograde is refused.
        backend = sandbox_backend(hub.course_root)
        manual = manual_points(release_nb)
        text = ta.formgrader_autograde(course, a, mallory, GRADING_TIMEOUT_S * 1000)
        assert "Successfully autograded" in text and f"graded by {backend}" in text, text
        ta.shot("autograded-in-formgrader")
        ta.close_modal()
        hostile = json.loads(
            (hub.course_root / "autograded" / mallory / a / "results.json").read_text()
        )
        assert hostile["grader"]["backend"] == backend and hostile["status"] == "graded"
        assert [m for m in markers if m.exists()] == []
        expect(
            ta.page.locator("#main-table tr", has_text=mallory).locator("td.score")
        ).to_have_text(
            f"{round(hostile['score'], 2):g} / {round(hostile['max_score'] + manual, 2):g}"
        )
        p = hub.hub.plan
        refused = run_as(
            p.grader_user, [str(p.bin / "nbgrader"), "autograde", a, "--force"],
            cwd=hub.course_root, env={"PATH": f"{p.bin}:/usr/bin:/bin"}, check=False,
        )  # fmt: skip
        assert refused.returncode != 0
        assert "python -m dlgrade autograde" in refused.stdout + refused.stderr
        assert [m for m in markers if m.exists()] == []

        # 4b. The TA opens the formgrader's view of that submission: its text is shown, and
        #     none of its script ran (no flag set, no dialog, no console message of it).
        seen = ta.watch_scripts()
        ta.open_graded_notebook(course, mallory, a)
        notes = ta.page.get_by_text("My notes").first
        expect(notes).to_be_visible()
        notes.scroll_into_view_if_needed()
        ta.page.wait_for_timeout(1500)  # broken images fire their onerror by now
        ta.shot("hostile-submission-in-formgrader")
        assert ta.page.evaluate(f"() => window.{FLAG}") is None
        assert [m for m in seen if m.startswith("dialog") or FLAG in m] == [], seen
        status = ta.run_in_terminal(
            course,
            f"python -m dlgrade autograde --assignment={a} && python -m dlgrade feedback --assignment={a}",
            hub.course_root / ".e2e-grading.rc",
            GRADING_TIMEOUT_S,
        )
        ta.shot("graded-in-terminal")
        assert status == 0, hub.hub.log_tail()
        results = {
            s.username: json.loads(
                (hub.course_root / "autograded" / s.username / a / "results.json").read_text()
            )
            for s in (alice, bob)
        }
        assert results[alice.username]["status"] == "graded"
        assert results[alice.username]["score"] == results[alice.username]["max_score"] > 0
        assert results[bob.username]["score"] < results[bob.username]["max_score"]
        ta.formgrader(course)
        row = ta.page.locator("#main-table tr", has_text=a)
        expect(row.locator("td.num-submissions")).to_have_text("3")
        ta.page.goto(f"{hub.url}/services/{course}/formgrader/manage_students")
        for name, r in [*results.items(), (mallory, hostile)]:
            expect(ta.page.locator("tr", has_text=name)).to_contain_text(
                f"{round(r['score'], 2):g} / {round(r['max_score'] + manual, 2):g}"
            )
        ta.shot("gradebook")
        ta.formgrader(course)
        assert "Successfully released feedback" in ta.formgrader_action(a, "release-feedback")
        ta.shot("feedback-released")
        ta.close_modal()

        # 5. Each student fetches and opens the feedback: the score is results.json's and no
        #    hidden test source, input or expected value is on the page.
        for student in (alice, bob):
            r = results[student.username]
            student.page.goto(f"{hub.url}/user/{student.username}/lab")
            student.open_assignment_list(course)
            student.fetch_feedback(a)
            body = student.view_feedback(a, a)
            score = body.locator("#total-score")
            expect(score).to_have_text(re.compile(rf"^\s*{r['score']:g} / {r['max_score']:g}"))
            assert float(score.get_attribute("data-score")) == r["score"]
            assert float(score.get_attribute("data-max-score")) == r["max_score"]
            student.shot("feedback")
            lab_text = body.inner_text()
            files = sorted((home(student.username) / course / a / "feedback").rglob("*.html"))
            assert files, "no feedback file in the student's home"
            rel = files[-1].relative_to(home(student.username))
            student.page.goto(f"{hub.url}/user/{student.username}/files/{rel}")
            page_html = student.page.content()
            page_text = student.page.inner_text("body")
            student.shot("feedback-page")
            fragments = hidden_fragments(hub.assignment, list(typed[student.username].values()))
            assert fragments, "found no hidden grader code to look for"
            found = leaks(lab_text + "\n" + page_text, page_html, fragments)
            assert not found, f"hidden content on {student.username}'s feedback page: {found}"
    finally:
        for u in users.values():
            u.close()
        shutil.rmtree(outside)
