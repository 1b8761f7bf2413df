"""Sandbox backends: a base class and a registry (entry points), chosen by name in config."""

from __future__ import annotations

from dlgrade.sandbox.backends.base import (
    BACKEND_GROUP,
    BACKENDS,
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
    backend_names,
    get_backend_class,
    register_backend,
)

__all__ = [
    "BACKEND_GROUP",
    "BACKENDS",
    "SandboxBackend",
    "SandboxJob",
    "SandboxProcess",
    "backend_names",
    "get_backend_class",
    "register_backend",
]
