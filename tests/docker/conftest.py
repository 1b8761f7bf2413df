"""Fixtures for the Docker tests: an engine that answers and the grader image.

`make docker-test` sets DLGRADE_REQUIRE_DOCKER=1, so a missing engine or image fails the
run instead of skipping it; elsewhere (a laptop without Docker) these tests skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from dlgrade.sandbox.backends.docker import DockerSandbox

IMAGE = os.environ.get("DLGRADE_GRADER_IMAGE", "dlgrade-grader:latest")


def _missing() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client"
    try:
        info = subprocess.run(["docker", "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker info failed: {exc}"
    if info.returncode != 0:
        return "the Docker engine does not answer"
    found = subprocess.run(
        ["docker", "image", "inspect", IMAGE], capture_output=True, timeout=30, check=False
    )
    if found.returncode != 0:
        return f"image {IMAGE} is missing (make docker-build)"
    return None


@pytest.fixture(scope="session")
def docker_ready() -> str:
    why = _missing()
    if why:
        if os.environ.get("DLGRADE_REQUIRE_DOCKER") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return IMAGE


@pytest.fixture
def docker_backend(docker_ready):
    backend = DockerSandbox(image=docker_ready, memory_limit_mb=1024)
    yield backend
    backend.close()


def owned_containers(backend: DockerSandbox) -> list[str]:
    """Containers (running or not) that `backend` started and that still exist."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=dlgrade.sandbox.owner={backend._owner}"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return out.stdout.split()
