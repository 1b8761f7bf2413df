"""`sub`: the grader's view of a submission that lives somewhere else.

A :class:`Submission` turns attribute access into lazy references and calls into
requests sent through a *transport*: a :class:`~dlgrade.sandbox.session.SandboxSession`
when grading for real, or :class:`InProcessTransport` for bare runs (development and
benchmarks), which goes through the very same encoding so both behave alike.

Every string that comes back (values, dict keys, the type names of handles, the text of
a student's exception) is a :class:`SandboxText`: equal to its text, but marked wherever
it is formatted into a message, so that :mod:`dlgrade.grading.plugin` can keep it out
of what hidden tests say.
"""

from __future__ import annotations

import time
import zlib
from typing import Any, Protocol

from dlgrade.sandbox.protocol import Decoder, Encoder, Handle, Ref
from dlgrade.sandbox.session import StudentError

MARK_OPEN, MARK_CLOSE = "\ufdd0", "\ufdd1"  # Unicode noncharacters: never in real text


class SandboxText(str):
    """A string the sandbox sent. It compares, hashes and serialises (JSON) as its text;
    ``str()``, ``repr()``, f-strings, ``%`` and ``+`` wrap it in :data:`MARK_OPEN` /
    :data:`MARK_CLOSE`, so a message built from it shows where it came from."""

    __slots__ = ()

    def __new__(cls, text: str = "") -> SandboxText:
        return super().__new__(cls, text.replace(MARK_OPEN, "").replace(MARK_CLOSE, ""))

    @staticmethod
    def _marked(text: str) -> str:
        return "".join((MARK_OPEN, text, MARK_CLOSE))

    def __str__(self) -> str:
        return self._marked(str.__str__(self))

    def __repr__(self) -> str:
        return self._marked(str.__repr__(self))

    def __format__(self, spec: str) -> str:
        return self._marked(format(str.__str__(self), spec))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)


def _text(value: str) -> SandboxText:
    return value if isinstance(value, SandboxText) else SandboxText(value)


def mark_student_error(exc: StudentError) -> StudentError:
    """`exc` with its type, message and place as :class:`SandboxText`."""
    exc.type, exc.message, exc.where = _text(exc.type), _text(exc.message), _text(exc.where)
    exc.args = (f"{exc.type}: {exc.message}",)
    return exc


class Transport(Protocol):
    def request(self, op: str, fields: dict[str, Any], seed: int, deadline: float) -> Any: ...


class CallContext:
    """Per-test state: the deadline and a call counter that derives each call's seed."""

    def __init__(self, nodeid: str = "", time_limit: float = 60.0):
        self.base_seed = zlib.crc32(nodeid.encode())
        self.deadline = time.monotonic() + time_limit
        self.calls = 0

    def next_seed(self) -> int:
        self.calls += 1
        return (self.base_seed + 7919 * self.calls) % 2**31


class RemoteRef:
    """A lazy reference into the submission; call it to run it there."""

    __slots__ = ("_sub", "_ref", "_type")

    def __init__(self, sub: Submission, ref: Ref, type_name: str = ""):
        object.__setattr__(self, "_sub", sub)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_type", type_name)

    def __getattr__(self, name: str) -> RemoteRef:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return RemoteRef(self._sub, Ref(self._ref.root, (*self._ref.path, name)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("use sub.set(ref.attr, value) to change objects in the submission")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._sub._request("call", target=self, args=list(args), kwargs=dict(kwargs))

    def __repr__(self) -> str:
        kind = f" ({self._type})" if self._type else ""
        return f"<submission {self._ref!r}{kind}>"

    def __bool__(self) -> bool:
        return True


class Submission:
    """The `sub` fixture. See docs/GRADERS.md."""

    def __init__(self, transport: Transport):
        self._transport = transport
        self._context = CallContext()

    def _set_context(self, context: CallContext) -> None:
        self._context = context

    def __getattr__(self, name: str) -> RemoteRef:
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteRef(self, Ref("ns", (name,)))

    @property
    def helpers(self) -> RemoteRef:
        return RemoteRef(self, Ref("helpers"))

    @property
    def builtins(self) -> RemoteRef:
        return RemoteRef(self, Ref("builtins"))

    def get(self, ref: RemoteRef) -> Any:
        """Fetch the value behind a reference (tensors and plain data come back)."""
        return self._request("get", target=ref)

    def set(self, ref: RemoteRef, value: Any) -> None:
        """Set the attribute (or notebook name) a reference points to."""
        self._request("set", target=ref, value=value)

    def new_generator(self, seed: int) -> RemoteRef:
        """A handle to a ``torch.Generator().manual_seed(seed)`` living in the sandbox."""
        return self.builtins.new_generator(int(seed))

    def has(self, name: str) -> bool:
        """Whether the notebook defines `name` at top level."""
        try:
            self._request("get", target=RemoteRef(self, Ref("ns", (name,))))
            return True
        except StudentError:
            return False

    def _request(self, op: str, **fields: Any) -> Any:
        ctx = self._context
        try:
            value = self._transport.request(op, _outgoing(fields), ctx.next_seed(), ctx.deadline)
        except StudentError as exc:
            raise mark_student_error(exc) from None
        return _incoming(self, value)


def _outgoing(value: Any) -> Any:
    if isinstance(value, RemoteRef):
        return value._ref
    if isinstance(value, dict):
        return {k: _outgoing(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_outgoing(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_outgoing(v) for v in value)
    return value


def _incoming(sub: Submission, value: Any) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, Handle):
        return RemoteRef(sub, Ref(value.id), _text(value.type))
    if isinstance(value, Ref):
        return _text(repr(value))
    if isinstance(value, dict):
        return {_text(k): _incoming(sub, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_incoming(sub, v) for v in value]
    if isinstance(value, tuple):
        return tuple(_incoming(sub, v) for v in value)
    return value


class InProcessTransport:
    """Serve requests from a namespace in this process (bare runs: trusted code only)."""

    def __init__(self, namespace: dict, helpers_source: str = ""):
        from dlgrade.sandbox.worker import Worker

        self.worker = Worker(None, None)
        self.worker.namespace = namespace
        self.worker.load_helpers(helpers_source)

    def request(self, op: str, fields: dict[str, Any], seed: int, deadline: float) -> Any:
        from dlgrade.sandbox.worker import _seed_everything, describe_exception

        enc = Encoder()
        header = {k: enc.encode(v) for k, v in fields.items()}
        _seed_everything(seed)
        try:
            value = self.worker.handle_request(op, header, enc.blobs)
        except BaseException as exc:  # noqa: BLE001 - mirrors the sandbox
            raise StudentError(describe_exception(exc)) from None
        out = Encoder(self.worker.make_handle)
        return Decoder(out.blobs).decode(out.encode(value))
