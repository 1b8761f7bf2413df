"""The trusted side of grading: pytest plugin, proxy to the sandbox, assertions."""

from dlgrade.sandbox.session import (
    SandboxCrashed,
    SandboxError,
    SandboxTimeout,
    StudentError,
)

__all__ = ["SandboxCrashed", "SandboxError", "SandboxTimeout", "StudentError"]
