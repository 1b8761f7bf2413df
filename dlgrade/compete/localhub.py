"""A throwaway JupyterHub on loopback that authenticates the leaderboard's requests for real
(its tests and `make bench`): no Unix accounts and no single-user servers, just the hub's
users, groups, roles and API tokens, and the leaderboard registered as an external service.

Each user gets a token preloaded into the hub (`c.JupyterHub.api_tokens`); requests with it
go through the hub's own token check (`HubAuth.user_for_token`) exactly as a student
server's token does on the course hub.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CONFIG = """\
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = {db!r}
c.JupyterHub.cookie_secret = bytes.fromhex({secret!r})
c.JupyterHub.authenticator_class = "null"
c.Authenticator.allowed_users = set({users!r})
c.JupyterHub.load_groups = {groups!r}
c.JupyterHub.load_roles = {roles!r}
c.JupyterHub.services = {services!r}
c.JupyterHub.api_tokens = {tokens!r}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalHub:
    """A hub with `members` (user → groups) whose groups in `access_groups` may open the
    service `service` (at 127.0.0.1:`service_port`)."""

    def __init__(
        self,
        folder: Path,
        members: dict[str, list[str]],
        access_groups: list[str],
        service: str = "compete-test",
        service_port: int = 0,
    ) -> None:
        self.folder = Path(folder)
        self.members = members
        self.service = service
        self.port, self.hub_port = free_port(), free_port()
        self.proxy_port = free_port()
        self.service_port = service_port or free_port()
        self.service_token = secrets.token_hex(24)
        self.tokens = {u: secrets.token_hex(24) for u in members}
        groups: dict[str, dict[str, list[str]]] = {}
        for user, names in members.items():
            for g in names:
                groups.setdefault(g, {"users": []})["users"].append(user)
        self.groups = groups
        self.access_groups = access_groups
        self.process: subprocess.Popen | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/hub/api"

    @property
    def prefix(self) -> str:
        return f"/services/{self.service}/"

    @property
    def service_url(self) -> str:
        """The service's own address (what a user's server submits to)."""
        return f"http://127.0.0.1:{self.service_port}{self.prefix}"

    def config(self) -> str:
        scope = f"access:services!service={self.service}"
        roles = [
            {"name": f"{g}-board", "groups": [g], "scopes": [scope]}
            for g in self.access_groups
            if g in self.groups
        ]
        services = [
            {
                "name": self.service,
                "url": f"http://127.0.0.1:{self.service_port}",
                "api_token": self.service_token,
                "oauth_no_confirm": True,
            }
        ]
        bin_dir = Path(sys.executable).parent
        return CONFIG.format(
            port=self.port,
            hub_port=self.hub_port,
            proxy_port=self.proxy_port,
            proxy=str(bin_dir / "configurable-http-proxy"),
            db=f"sqlite:///{self.folder / 'jupyterhub.sqlite'}",
            secret=secrets.token_hex(32),
            users=sorted(self.members),
            groups=self.groups,
            roles=roles,
            services=services,
            tokens={t: u for u, t in self.tokens.items()},
        )

    def start(self, timeout_s: float = 90.0) -> None:
        proxy = Path(sys.executable).parent / "configurable-http-proxy"
        if not proxy.exists():
            raise FileNotFoundError(f"{proxy} is missing: `make proxy` installs it")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "jupyterhub_config.py").write_text(self.config())
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        self.log = (self.folder / "jupyterhub.log").open("ab")
        self.process = subprocess.Popen(
            [str(bin_dir / "jupyterhub"), "-f", "jupyterhub_config.py"],
            cwd=self.folder, stdout=self.log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.api_url + "/", timeout=3) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyterhub did not answer in {timeout_s} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            lines = (self.folder / "jupyterhub.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def hub_auth(self) -> Any:
        """The service's `HubOAuth`, configured for this hub (as its environment would)."""
        from jupyterhub.services.auth import HubOAuth

        return HubOAuth(
            api_token=self.service_token,
            api_url=self.api_url,
            base_url=self.prefix,
            hub_prefix="/hub/",
            hub_host="",
            oauth_client_id=f"service-{self.service}",
            oauth_redirect_uri=f"http://127.0.0.1:{self.port}{self.prefix}oauth_callback",
            access_scopes={f"access:services!service={self.service}"},
            cache_max_age=60,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(5)
        self.process = None
        self.log.close()
        stop_proxy(self.folder / "jupyterhub-proxy.pid")

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_proxy(pid_file: Path) -> None:
    """The hub's proxy, if a hub that was stopped left it running."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"configurable-http-proxy" in cmdline:
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass


def get_json(url: str, token: str, timeout: float = 10.0) -> tuple[int, Any]:
    """(status, JSON) of GET `url` with a hub token (errors included)."""
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as err:
        body = err.read()
        try:
            return err.code, json.loads(body or b"null")
        except ValueError:
            return err.code, body.decode(errors="replace")
