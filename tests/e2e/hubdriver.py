"""Playwright helpers: one hub user in one browser context, clicking through JupyterLab,
nbgrader's assignment list and the course's formgrader."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-gpu",
]
UI_TIMEOUT = 60_000  # ms for a single UI expectation
RUN_TIMEOUT = 240_000  # ms for cells or grading to finish


class Shots:
    """Numbered screenshots of every step, kept as test artifacts."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path


class HubUser:
    """A person at a browser: own cookies, own tab."""

    def __init__(self, browser: Browser, hub_url: str, username: str, password: str, shots: Shots):
        self.hub_url = hub_url
        self.username = username
        self.password = password
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.context.set_default_timeout(UI_TIMEOUT)
        self.page = self.context.new_page()

    def close(self) -> None:
        self.context.close()

    def shot(self, name: str) -> Path:
        return self.shots.take(self.page, f"{self.username}-{name}")

    # --- hub ----------------------------------------------------------------------------

    def login(self) -> None:
        """Log in on the hub's form; the hub spawns the user's server and opens JupyterLab."""
        page = self.page
        page.goto(f"{self.hub_url}/hub/login")
        page.fill("#username_input", self.username)
        page.fill("#password_input", self.password)
        page.click("#login_submit")
        wait_for_lab(page)

    def status(self, path: str) -> int:
        """HTTP status of GET `path` with this user's cookies (redirects followed)."""
        return self.context.request.get(f"{self.hub_url}{path}", max_redirects=10).status

    def visit(self, path: str) -> str:
        """Open `path` in the tab and return the page's visible text."""
        self.page.goto(f"{self.hub_url}{path}")
        self.page.wait_for_load_state("load")
        return self.page.inner_text("body")

    # --- nbgrader assignment list (students) ----------------------------------------------

    def open_assignment_list(self, course: str | None = None) -> None:
        """Open nbgrader's assignment list (of `course`, picked in its course menu)."""
        page = self.page
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="Nbgrader").click()
        page.locator(
            '#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]'
        ).click()
        expect(page.locator("#released_assignments_list")).to_be_attached()
        self.wait_lists()
        if course is not None:
            self.select_course(course)

    def courses(self) -> list[str]:
        """The courses the assignment list offers (its course menu)."""
        expect(self.page.locator("#course_list_dropdown")).to_be_enabled()
        return [t.strip() for t in self.page.locator("#course_list > li").all_inner_texts()]

    def select_course(self, course: str) -> None:
        """Pick `course` in the assignment list's course menu; wait for its lists."""
        page = self.page
        current = page.locator("#course_list_default")
        dropdown = page.locator("#course_list_dropdown")
        expect(dropdown).to_be_enabled()
        if current.inner_text().strip() != course:
            dropdown.click()
            page.locator("#course_list > li").filter(
                has_text=re.compile(rf"^\s*{re.escape(course)}\s*$")
            ).click()
        expect(current).to_have_text(course)
        expect(dropdown).to_be_enabled()
        self.wait_lists()

    def wait_lists(self) -> None:
        for name in ("released", "fetched", "submitted"):
            expect(self.page.locator(f"#{name}_assignments_list_loading")).to_be_hidden()

    def refresh_assignment_list(self) -> None:
        self.page.locator("#refresh_assignments_list").click()
        self.wait_lists()

    def row(self, listing: str, assignment: str) -> Locator:
        """The row of `assignment` in the released/fetched/submitted list."""
        return self.page.locator(f"#{listing}_assignments_list > .list_item").filter(
            has=self.page.locator(
                ".item_name", has_text=re.compile(rf"^\s*{re.escape(assignment)}\s*$")
            )
        )

    def fetch(self, assignment: str) -> None:
        self.refresh_assignment_list()
        row = self.row("released", assignment)
        expect(row).to_have_count(1)
        row.locator(".item_status button", has_text="Fetch").click()
        expect(self.row("fetched", assignment)).to_have_count(1)

    def submit(self, assignment: str) -> None:
        row = self.row("fetched", assignment)
        row.locator(".item_status button", has_text="Submit").click()
        expect(self.row("submitted", assignment)).to_have_count(1, timeout=RUN_TIMEOUT)

    def fetch_feedback(self, assignment: str) -> None:
        self.refresh_assignment_list()
        row = self.row("submitted", assignment)
        button = row.locator(".item_status button", has_text="Fetch Feedback")
        expect(button).to_be_visible()
        button.click()
        expect(self.row("submitted", assignment).get_by_text("(view feedback)")).to_be_visible(
            timeout=RUN_TIMEOUT
        )

    def view_feedback(self, assignment: str, notebook: str) -> Locator:
        """Click '(view feedback)', open the HTML file from the file browser; return its body."""
        page = self.page
        self.row("submitted", assignment).get_by_text("(view feedback)").click()
        item = page.locator(".jp-DirListing-item", has_text=f"{notebook}.html")
        expect(item).to_be_visible()
        item.dblclick()
        frame = page.frame_locator(".jp-HTMLViewer iframe, .jp-RenderedHTMLCommon iframe").first
        body = frame.locator("body")
        expect(body).to_contain_text(assignment)
        return body

    # --- notebooks ------------------------------------------------------------------------

    def open_notebook(self, path: str) -> Locator:
        """Open `path` (relative to the server root) in JupyterLab; wait for its kernel."""
        page = self.page
        page.goto(f"{self.hub_url}/user/{self.username}/lab/tree/{path}")
        wait_for_lab(page)
        panel = page.locator(".jp-NotebookPanel:visible")
        expect(panel.locator(".jp-Notebook .jp-Cell").first).to_be_visible()
        expect(panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")).to_have_count(
            1, timeout=RUN_TIMEOUT
        )
        return panel

    def set_cell(self, panel: Locator, index: int, text: str) -> None:
        """Replace the source of code cell `index` by typing it, as a student would."""
        editor = panel.locator(".jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        expect(editor).to_have_text(re.compile(re.escape(text.splitlines()[0])))
        self.page.keyboard.press("Escape")

    def run_cells(self, panel: Locator, indices: list[int]) -> None:
        """Run the given cells one after the other (Ctrl+Enter), each to completion, as a
        student stepping through the notebook does (a failing test does not stop the next)."""
        cells = panel.locator(".jp-Notebook .jp-Cell")
        for index in indices:
            prompt = cells.nth(index).locator(".jp-InputPrompt")
            prompt.scroll_into_view_if_needed()
            prompt.click()
            self.page.keyboard.press("ControlOrMeta+Enter")
            expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=RUN_TIMEOUT)

    def save(self, panel: Locator) -> None:
        panel.locator(".jp-Notebook").click(position={"x": 5, "y": 5})
        self.page.keyboard.press("ControlOrMeta+s")
        tab = self.page.locator(".lm-TabBar-tab.jp-mod-current")
        expect(tab).not_to_have_class(re.compile(r"jp-mod-dirty"))

    # --- course service (staff) -----------------------------------------------------------

    def formgrader(self, course: str) -> None:
        self.page.goto(f"{self.hub_url}/services/{course}/formgrader/manage_assignments")
        expect(self.page.locator("#main-table")).to_be_attached()
        expect(self.page.get_by_text("Loading, please wait...")).to_be_hidden()

    def formgrader_action(self, assignment: str, column: str) -> str:
        """Click the icon in `column` (release, collect, release-feedback) of the assignment's
        row; return the success dialog's text (fails on nbgrader's error dialog)."""
        page = self.page
        row = page.locator("#main-table tr").filter(
            has=page.locator("td.name a", has_text=re.compile(rf"^{re.escape(assignment)}$"))
        )
        row.locator(f"td.{column} a").click()
        return self.modal_text(f"{column} of {assignment}", RUN_TIMEOUT)

    def modal_text(self, what: str, timeout_ms: float) -> str:
        """The text of the formgrader's success dialog (fails on its error dialog)."""
        modal = self.page.locator("#success-modal, #error-modal")
        expect(modal).to_be_visible(timeout=timeout_ms)
        text = modal.inner_text()
        if modal.get_attribute("id") != "success-modal":
            raise AssertionError(f"formgrader {what} failed:\n{text}")
        return text

    def formgrader_autograde(
        self, course: str, assignment: str, student: str, timeout_ms: float
    ) -> str:
        """Click the autograde icon of `student`'s row on the assignment's submissions page
        (nbgrader's "Manage Submissions"); return the success dialog's text."""
        page = self.page
        page.goto(f"{self.hub_url}/services/{course}/formgrader/manage_submissions/{assignment}")
        expect(page.get_by_text("Loading, please wait...")).to_be_hidden()
        row = page.locator("#main-table tr").filter(
            has=page.locator("td.student-id", has_text=re.compile(rf"^{re.escape(student)}$"))
        )
        row.locator("td.autograde a").click()
        return self.modal_text(f"autograde of {student}", timeout_ms)

    def open_graded_notebook(self, course: str, student: str, assignment: str) -> None:
        """Open the formgrader's view of the student's autograded notebook (the link on
        nbgrader's "Manage Students" page of that submission)."""
        page = self.page
        page.goto(
            f"{self.hub_url}/services/{course}/formgrader/manage_students/{student}/{assignment}"
        )
        link = page.locator("#main-table td.name a").first
        expect(link).to_be_visible()
        link.click()
        page.wait_for_url(re.compile(r"/formgrader/submissions/[^/]+/?$"))
        page.wait_for_load_state("load")

    def watch_scripts(self) -> list[str]:
        """Record every dialog (dismissed) and console message of this tab from now on."""
        seen: list[str] = []

        def dialog(d) -> None:
            seen.append(f"dialog: {d.message}")
            d.dismiss()

        self.page.on("dialog", dialog)
        self.page.on("console", lambda m: seen.append(f"console {m.type}: {m.text}"))
        return seen

    def close_modal(self) -> None:
        modal = self.page.locator("#success-modal")
        modal.locator("button.btn-primary").click()
        expect(modal).to_have_count(0)

    def run_in_terminal(self, course: str, command: str, done_file: Path, timeout_s: float) -> int:
        """Open a terminal in the course service's JupyterLab, type `command`, wait for it.

        The command line ends by writing its exit status to `done_file` (in the course root,
        readable by the test), which is how the test knows it finished.
        """
        page = self.page
        page.goto(f"{self.hub_url}/services/{course}/lab")
        wait_for_lab(page)
        page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text="File").click()
        page.locator("#jp-mainmenu-file li[data-type='submenu']", has_text="New").hover()
        page.locator("li[data-command='terminal:create-new']").click()
        terminal = page.locator(".jp-Terminal:visible .xterm")
        expect(terminal).to_be_visible()
        terminal.click()
        done_file.unlink(missing_ok=True)
        page.keyboard.type(f"{command}; echo $? > {done_file.name}\n", delay=5)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done_file.exists() and done_file.read_text().strip():
                return int(done_file.read_text().strip())
            page.wait_for_timeout(500)
        raise AssertionError(f"terminal command did not finish in {timeout_s} s: {command}")


def wait_for_lab(page: Page) -> None:
    """Wait until JupyterLab has started (the hub's spawn page may come first)."""
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=RUN_TIMEOUT)
    expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=RUN_TIMEOUT)
