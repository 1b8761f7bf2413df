"""Message helpers shared by the approximation graders (trusted side)."""

from dlgrade.grading.proxy import MARK_CLOSE, MARK_OPEN

KNOWN_EXCEPTIONS = (
    "NotImplementedError",
    "RuntimeError",
    "ValueError",
    "TypeError",
    "IndexError",
    "KeyError",
    "AttributeError",
    "NameError",
    "ZeroDivisionError",
    "AssertionError",
    "OverflowError",
    "RecursionError",
    "UnboundLocalError",
)


def raised(what: str, exc) -> str:
    """'<what> raised <type>' when the type is a common built-in exception (a grader
    literal, so nothing the sandbox wrote reaches the message), else 'an exception'."""
    name = str(getattr(exc, "type", "")).replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    known = next((k for k in KNOWN_EXCEPTIONS if k == name), "an exception")
    return f"{what} raised {known}"
