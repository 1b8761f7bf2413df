"""The course service's formgrader: nbgrader's own, except that its autograde action grades
in the platform's sandboxes (`dlgrade.nbgrader_api.SandboxedNbGraderAPI`), never in
nbgrader's in-kernel converter, and that what it renders of a submission is sanitized
(`SanitizedView`, set as `c.HTMLExporter.preprocessors` in nbgrader_config.py).

A Jupyter server extension, enabled in place of `nbgrader.server_extensions.formgrader`
(`dlgrade.hub.course.ROLES_ON`). nbgrader 0.9's formgrader has one autograde action, per
submission: POST formgrader/api/submission/<assignment>/<student>/autograde.
"""

from __future__ import annotations

import asyncio
import json

from jupyter_server.utils import url_path_join
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.server_extensions.formgrader import apihandlers, handlers
from nbgrader.server_extensions.formgrader.base import check_notebook_dir, check_xsrf
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
from tornado import web

from dlgrade import sanitize
from dlgrade.nbgrader_api import SandboxedNbGraderAPI


class SanitizedView(Preprocessor):
    """Every notebook nbgrader renders as HTML passes through `dlgrade.sanitize` first, so a
    notebook in autograded/ written by anything else (an older version, nbgrader itself)
    shows no student script either."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        return sanitize.notebook(nb), resources


class SandboxedAutogradeHandler(apihandlers.AutogradeHandler):
    """The formgrader's autograde button, graded by the platform in a sandbox. Grading runs in
    a thread, so the formgrader keeps answering other requests meanwhile."""

    @property
    def api(self) -> SandboxedNbGraderAPI:
        self.coursedir.parent.load_config_file()
        api = SandboxedNbGraderAPI(self.coursedir, self.authenticator, parent=self.coursedir.parent)
        api.log_level = self.log.level
        return api

    @web.authenticated
    @check_xsrf
    @check_notebook_dir
    async def post(self, assignment_id: str, student_id: str) -> None:
        api = self.api
        result = await asyncio.to_thread(api.autograde, assignment_id, student_id)
        self.write(json.dumps(result))


ROUTED = {apihandlers.AutogradeHandler: SandboxedAutogradeHandler}


class SandboxedFormgrader(FormgradeExtension):
    """nbgrader's formgrader extension with the handlers of `ROUTED` replaced."""

    def init_handlers(self, webapp: web.Application) -> None:
        rules = [
            (pattern, ROUTED.get(handler, handler), *rest)
            for pattern, handler, *rest in [
                *handlers.default_handlers,
                *apihandlers.default_handlers,
            ]
        ]
        rules += [
            (r"/formgrader/static/(.*)", web.StaticFileHandler, {"path": handlers.static_path}),
            (r"/formgrader/.*", handlers.Template404),
        ]
        base = webapp.settings["base_url"]
        webapp.add_handlers(
            ".*$", [(url_path_join(base, pattern.lstrip("/")), *rest) for pattern, *rest in rules]
        )


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "dlgrade.hub.formgrader"}]


def _load_jupyter_server_extension(serverapp) -> None:
    """Set up the formgrader as nbgrader's loader does, with `SandboxedFormgrader`."""
    serverapp.log.info("Loading the course's formgrader (autograde in sandboxes)")
    formgrader = SandboxedFormgrader(parent=serverapp)
    formgrader.root_dir = serverapp.root_dir
    formgrader.log = serverapp.log
    formgrader.initialize([])
    formgrader.init_tornado_settings(serverapp.web_app)
    formgrader.init_handlers(serverapp.web_app)
