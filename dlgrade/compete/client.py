"""Submit an encoder to the competition from JupyterLab, with the hub token of the server.

In a notebook::

    from dlgrade.compete import client
    client.submit(encoder, hyperparams={"lr": 1e-3, "epochs": 5})

or in the terminal::

    python -m dlgrade.compete submit encoder.safetensors --meta meta.json
    python -m dlgrade.compete status

The user's single-user server has `JUPYTERHUB_API_TOKEN` (its token acts as its user) and
`DLGRADE_COMPETITIONS` (course id → the leaderboard's address, set by the hub's config).
The answer is the service's JSON: ``{"id", "status": "queued" | "rejected", "reason"}``,
or an error with the service's reason (the daily cap, a bad file) as `SubmitError`.
"""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 60.0


class SubmitError(RuntimeError):
    """The leaderboard refused or could not be reached; the message says why."""

    def __init__(self, message: str, status: int = 0, answer: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.answer = answer or {}


def competitions() -> dict[str, str]:
    """course id → leaderboard URL, from the server's environment."""
    raw = os.environ.get("DLGRADE_COMPETITIONS", "")
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        found = {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def service_url(course: str | None = None) -> str:
    """The leaderboard's base URL (ending in '/'): $DLGRADE_COMPETE_URL, else the course's
    entry of $DLGRADE_COMPETITIONS (the only one when `course` is not given)."""
    url = os.environ.get("DLGRADE_COMPETE_URL", "")
    if not url:
        known = competitions()
        if course is not None:
            url = known.get(course, "")
        elif len(known) == 1:
            url = next(iter(known.values()))
        if not url:
            names = ", ".join(sorted(known)) or "none"
            raise SubmitError(
                f"no competition to submit to (course={course!r}; this server knows: {names}); "
                "run this in JupyterLab on the course hub, or set DLGRADE_COMPETE_URL"
            )
    return url if url.endswith("/") else url + "/"


def token() -> str:
    value = os.environ.get("JUPYTERHUB_API_TOKEN", "")
    if not value:
        raise SubmitError("JUPYTERHUB_API_TOKEN is not set: run this in your hub server")
    return value


def size_of(encoder: Any) -> str:
    """The size name of an `arch.Encoder` (from the width of its first convolution)."""
    from dlgrade.compete import arch

    width = getattr(getattr(encoder, "conv1", None), "out_channels", None)
    for name, w in arch.SIZES.items():
        if w == width:
            return name
    raise SubmitError(f"cannot tell the encoder's size; pass size= one of {', '.join(arch.SIZES)}")


def multipart(fields: dict[str, tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request; fields are
    name → (filename, content type, bytes)."""
    boundary = "dlgrade-" + secrets.token_hex(16)
    parts = []
    for name, (filename, ctype, data) in fields.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def request(
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "",
    *,
    course: str | None = None,
    url: str | None = None,
    api_token: str | None = None,
    timeout: float = TIMEOUT_S,
) -> dict:
    """One authenticated request to the leaderboard's API; its JSON answer."""
    base = url or service_url(course)
    headers = {"Authorization": f"token {api_token or token()}", "Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        try:
            answer = json.loads(err.read() or b"{}")
        except ValueError:
            answer = {}
        reason = answer.get("reason") or answer.get("message") or err.reason
        raise SubmitError(
            f"the leaderboard answered {err.code}: {reason}", err.code, answer
        ) from None
    except (urllib.error.URLError, OSError) as err:
        raise SubmitError(f"the leaderboard at {base} cannot be reached: {err}") from None


def submit_bytes(
    weights: bytes,
    meta: dict | bytes | str,
    *,
    course: str | None = None,
    url: str | None = None,
    api_token: str | None = None,
    timeout: float = TIMEOUT_S,
) -> dict:
    """Upload a safetensors file and its metadata JSON as they are. A file the service
    rejects comes back as ``{"status": "rejected", "reason": ...}``; a refusal (the daily
    cap, the deadline) or an unreachable service raises `SubmitError`."""
    if isinstance(meta, dict):
        meta = json.dumps(meta)
    meta_bytes = meta.encode() if isinstance(meta, str) else bytes(meta)
    body, ctype = multipart(
        {
            "weights": ("encoder.safetensors", "application/octet-stream", bytes(weights)),
            "meta": ("meta.json", "application/json", meta_bytes),
        }
    )
    try:
        return request(
            "POST", "api/submissions", body, ctype,
            course=course, url=url, api_token=api_token, timeout=timeout,
        )  # fmt: skip
    except SubmitError as err:
        if err.status == 422 and err.answer.get("status") == "rejected":
            return err.answer  # a rejection is an answer: its reason says what to fix
        raise


def submit(
    encoder: Any,
    hyperparams: dict | None = None,
    *,
    size: str | None = None,
    course: str | None = None,
    url: str | None = None,
    api_token: str | None = None,
    wait: float = 0.0,
) -> dict:
    """Submit `encoder` (an `arch.Encoder`, or the bytes of its safetensors file) with the
    hyperparameters you declare. The submission is queued; `wait` seconds (0: don't)
    polls until it is scored or rejected. Returns the service's answer (its id, status
    and, when rejected, the reason)."""
    from dlgrade.compete.weights import save_encoder

    if isinstance(encoder, (bytes, bytearray)):
        data = bytes(encoder)
        if size is None:
            raise SubmitError("pass size= with raw safetensors bytes")
    else:
        data = save_encoder(encoder)
        size = size or size_of(encoder)
    meta = {"size": size, "hyperparams": hyperparams or {}}
    answer = submit_bytes(data, meta, course=course, url=url, api_token=api_token)
    deadline = time.monotonic() + wait
    while answer.get("status") in ("queued", "evaluating") and time.monotonic() < deadline:
        time.sleep(2.0)
        answer = status(answer["id"], course=course, url=url, api_token=api_token)
    return answer


def status(
    submission: int | None = None,
    *,
    course: str | None = None,
    url: str | None = None,
    api_token: str | None = None,
) -> dict:
    """Your submissions (or one of them) as the board shows them to you."""
    path = "api/submissions" + (f"/{int(submission)}" if submission is not None else "")
    return request("GET", path, course=course, url=url, api_token=api_token)
