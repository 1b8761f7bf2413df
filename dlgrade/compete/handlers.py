"""The leaderboard's tornado handlers (`service.make_app` routes them).

Every answer is built from `board.board(store, viewer)` / `board.history(store, viewer)`
for the viewer the hub identified: the pages render that JSON, the API returns it. Writes
(an upload, final selections, the reveal, the bonus) go through the store and the rules;
browser forms carry the hub's XSRF token, clients authenticate with their hub token.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyterhub.services.auth import HubOAuthenticated
from tornado import web

from dlgrade.compete import pages

log = logging.getLogger(__name__)


class Base(HubOAuthenticated, web.RequestHandler):
    """The hub's user, the service's headers, errors as JSON under api/ (else a page)."""

    api = False

    @property
    def hub_auth(self) -> Any:
        return self.settings["hub_auth"]

    @hub_auth.setter
    def hub_auth(self, value: Any) -> None:  # the mixin's setter; ours is the app's
        pass

    @property
    def competition(self) -> Any:
        return self.settings["competition"]

    def set_default_headers(self) -> None:
        from dlgrade.compete.service import COMPETE_CSP

        self.set_header("Content-Security-Policy", COMPETE_CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header("Cache-Control", "no-store")

    def prepare(self) -> None:
        if not self.competition.ready:
            raise web.HTTPError(503, "the leaderboard is starting; try again in a moment")

    def check_xsrf_cookie(self) -> None:
        """A request carrying a token in its Authorization header (a client: no browser
        sends one across sites without a CORS preflight, which this service never
        answers) is checked by its token alone; cookie requests need the XSRF token.
        Tornado checks before the user is known, so the header decides here."""
        if self.request.headers.get("Authorization", "").lower().startswith(("token ", "bearer ")):
            return
        return super().check_xsrf_cookie()

    def get_login_url(self) -> str:
        if self.api:  # a client without a (valid) token: refused, never redirected
            raise web.HTTPError(403, "a hub token of a course member is needed")
        return super().get_login_url()

    def viewer(self) -> Any:
        """The `board.Viewer` of the request's hub user (403 for services and outsiders)."""
        from dlgrade.compete.board import Viewer

        model = self.current_user
        if not model:
            raise web.HTTPError(403)
        groups = model.get("groups") or []
        if model.get("kind", "user") != "user" or not self.competition.may_enter(groups):
            raise web.HTTPError(403, "only the course's students and staff see its leaderboard")
        return Viewer(model["name"], self.competition.is_staff(groups))

    def board_json(self, viewer: Any) -> dict:
        from dlgrade.compete.board import board

        c = self.competition
        key = ("board", viewer.name, viewer.is_staff)
        return c.cached(key, lambda: board(c.reader, viewer).to_json())

    def history_json(self, viewer: Any) -> Any:
        from dlgrade.compete.board import history

        c = self.competition
        key = ("history", viewer.name, viewer.is_staff)
        return c.cached(key, lambda: plain(history(c.reader, viewer)))

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(value))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            reason = exc.log_message
        if self.api or self.request.path.endswith((".json", ".svg")):
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"status": "error", "reason": reason}))
        else:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(pages.error_page(status_code, reason))


class Health(web.RequestHandler):
    """Unauthenticated: is the service up (200) or still opening its store (503)."""

    def get(self) -> None:
        ready = self.settings["competition"].ready
        self.set_status(200 if ready else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": ready}))


class NotFound(Base):
    def get(self, _path: str) -> None:
        raise web.HTTPError(404)


class Static(web.StaticFileHandler):
    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


NOTICES = {
    "final": "Your final selection is saved.",
    "reveal": "The private leaderboard is revealed.",
    "bonus": "The bonus is written into the gradebook.",
}


class BoardPage(Base):
    @web.authenticated
    def get(self) -> None:
        viewer = self.viewer()
        page = pages.board_page(
            self.board_json(viewer),
            viewer,
            prefix=self.settings["prefix"],
            xsrf=self.xsrf_form_html(),
            course_id=self.competition.course_id,
            notice=NOTICES.get(self.get_argument("done", ""), ""),
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(page)


class HistoryImage(Base):
    @web.authenticated
    def get(self) -> None:
        from dlgrade.compete.service import SVG_CSP

        svg = pages.history_svg(self.history_json(self.viewer()))
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Content-Security-Policy", SVG_CSP)
        self.finish(svg)


class APIBase(Base):
    api = True


class BoardAPI(APIBase):
    @web.authenticated
    def get(self) -> None:
        self.write_json(self.board_json(self.viewer()))


class HistoryAPI(APIBase):
    @web.authenticated
    def get(self) -> None:
        self.write_json(self.history_json(self.viewer()))


def own_submissions(board_json: dict) -> list:
    """The viewer's own submissions, as the board shows them to the viewer."""
    for key in ("mine", "own", "submissions"):
        if isinstance(board_json.get(key), list):
            return board_json[key]
    return []


class SubmissionsAPI(APIBase):
    @web.authenticated
    def get(self) -> None:
        self.write_json({"submissions": own_submissions(self.board_json(self.viewer()))})

    @web.authenticated
    def post(self) -> None:
        viewer = self.viewer()
        files = self.request.files
        weights = files["weights"][0]["body"] if files.get("weights") else b""
        meta: Any = files["meta"][0]["body"] if files.get("meta") else None
        if meta is None:
            meta = self.get_body_argument("meta", None)
        status, answer = accept_upload(self.competition, viewer.name, weights, meta)
        self.write_json(answer, status)


def accept_upload(competition: Any, user: str, data: bytes, meta: Any) -> tuple[int, dict]:
    """Check an upload on the trusted side and queue it: (HTTP status, answer). A rejected
    file is recorded with its reason and does not count against the caps."""
    from dlgrade.compete import store as store_module
    from dlgrade.compete import weights

    store = competition.store
    if not data:
        reason = "the upload has no weights file (a form field `weights`)"
        checked, rejected = None, reason
    elif meta is None:
        checked, rejected = None, "the upload has no metadata (a form field `meta`)"
    else:
        try:
            checked, rejected = weights.check_submission(data, meta), None
        except weights.Rejected as err:
            checked, rejected = None, err.reason if hasattr(err, "reason") else str(err)
    if checked is None:
        sid = store.add_rejected(user, rejected)
        competition.changed()
        return 422, {"id": sid, "status": "rejected", "reason": rejected}
    try:
        sid = store.add_submission(user, checked.weights, checked.size, checked.hyperparams)
    except store_module.CapReached as err:
        reason = getattr(err, "reason", None) or str(err)
        return 429, {"status": "refused", "reason": reason}
    competition.changed()
    competition.wake()
    return 202, {"id": sid, "status": "queued", "reason": ""}


class SubmissionAPI(APIBase):
    @web.authenticated
    def get(self, sid: str) -> None:
        for item in own_submissions(self.board_json(self.viewer())):
            if isinstance(item, dict) and str(item.get("id")) == sid:
                return self.write_json(item)
        raise web.HTTPError(404, "no submission of yours has this id")


def body_json(handler: web.RequestHandler) -> dict:
    try:
        value = json.loads(handler.request.body or b"{}")
    except ValueError:
        raise web.HTTPError(400, "the request body is not JSON") from None
    if not isinstance(value, dict):
        raise web.HTTPError(400, "the request body must be a JSON object")
    return value


def select_final(competition: Any, user: str, ids: Any) -> dict:
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise web.HTTPError(400, "ids must be a list of submission ids")
    try:
        competition.store.select_final(user, ids)
    except (ValueError, LookupError, PermissionError) as err:
        raise web.HTTPError(400, str(err)) from None
    competition.changed()
    return {"status": "ok", "final": ids}


def reveal(competition: Any, viewer: Any) -> dict:
    if not viewer.is_staff:
        raise web.HTTPError(403, "only the course's staff reveals the private board")
    try:
        competition.store.reveal_private(viewer.name)
    except (ValueError, PermissionError) as err:
        raise web.HTTPError(409, str(err)) from None
    competition.changed()
    return {"status": "ok", "revealed": True}


def bonus(competition: Any, viewer: Any) -> dict:
    if not viewer.is_staff:
        raise web.HTTPError(403, "only the course's staff writes the bonus")
    if competition.bonus is None:
        raise web.HTTPError(409, "this service has no gradebook to write the bonus to")
    try:
        summary = competition.bonus(viewer.name)
    except (ValueError, PermissionError, LookupError) as err:
        raise web.HTTPError(409, str(err)) from None
    competition.changed()
    return {"status": "ok", **summary}


class FinalAPI(APIBase):
    @web.authenticated
    def post(self) -> None:
        viewer = self.viewer()
        self.write_json(select_final(self.competition, viewer.name, body_json(self).get("ids")))


class RevealAPI(APIBase):
    @web.authenticated
    def post(self) -> None:
        self.write_json(reveal(self.competition, self.viewer()))


class BonusAPI(APIBase):
    @web.authenticated
    def post(self) -> None:
        self.write_json(bonus(self.competition, self.viewer()))


class ProfileAPI(APIBase):
    """A student's pseudonym (shown on the boards instead of the user name) and team."""

    @web.authenticated
    def post(self, what: str) -> None:
        viewer = self.viewer()
        body = body_json(self)
        store = self.competition.store
        try:
            if what == "pseudonym":
                store.set_pseudonym(viewer.name, str(body.get("pseudonym", ""))[:64])
            else:
                store.form_team(viewer.name, str(body.get("partner", ""))[:64])
        except (ValueError, LookupError, PermissionError) as err:
            raise web.HTTPError(400, str(err)) from None
        self.competition.changed()
        self.write_json({"status": "ok"})


class ActionPage(Base):
    """The board's forms (XSRF-checked): final selections, reveal, bonus; back to the board."""

    @web.authenticated
    def post(self, action: str) -> None:
        viewer = self.viewer()
        if action == "final":
            raw = self.get_body_arguments("id")
            try:
                ids = [int(i) for i in raw]
            except ValueError:
                raise web.HTTPError(400, "submission ids are numbers") from None
            select_final(self.competition, viewer.name, ids)
        elif action == "reveal":
            reveal(self.competition, viewer)
        else:
            bonus(self.competition, viewer)
        self.redirect(self.settings["prefix"] + f"?done={action}")


def plain(value: Any) -> Any:
    """A JSON value of `value` (its to_json() where it has one)."""
    if hasattr(value, "to_json"):
        return value.to_json()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
