"""Sandbox backends: a base class and a registry, chosen by name in config."""

from __future__ import annotations

from dlgrade.sandbox.backends.base import (
    BACKENDS,
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
    get_backend_class,
    register_backend,
)

__all__ = [
    "BACKENDS",
    "SandboxBackend",
    "SandboxJob",
    "SandboxProcess",
    "get_backend_class",
    "register_backend",
]
