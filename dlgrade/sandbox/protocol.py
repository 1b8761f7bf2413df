"""Wire format between the grader and the sandbox: plain data only, never pickle.

A frame is a 4-byte big-endian header length, a UTF-8 JSON header, then the binary
blobs the header lists (`"blobs": [n0, n1, ...]`). Tensors and arrays travel as `.npy`
bytes, read back as views of their bytes after their header is checked (never
unpickled); everything else is JSON. Objects that are not plain data stay in the sandbox
and travel as handles. Frames from the sandbox are hostile: every size is checked before
it is read, every part is read into a buffer that grows only as its data arrive, and
whatever arrives, decoding returns data or raises :class:`ProtocolError`.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

MAX_HEADER = 64 * 1024 * 1024
"""Largest header of a frame the grader sends (the init frame carries the notebook)."""
MAX_BLOBS = 512 * 1024 * 1024
"""Largest total of the blobs of a frame the grader sends."""
MAX_REPLY_HEADER = 16 * 1024 * 1024
"""Largest header of a frame the sandbox sends (a cell's outputs, a reply's plain data)."""
MAX_REPLY_BLOBS = 256 * 1024 * 1024
"""Largest total of the blobs of a frame the sandbox sends (arrays of a reply)."""
MAX_BLOB_COUNT = 4096
READ_CHUNK = 1 << 20
MAX_DEPTH = 32
MAX_NDIM = 16
_LEN = struct.Struct(">I")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed frame."""


class Handle:
    """An object that stays inside the sandbox, known to the grader by its id."""

    __slots__ = ("id", "type")

    def __init__(self, id: int, type: str = "object"):
        self.id = int(id)
        self.type = str(type)

    def __repr__(self) -> str:
        return f"<sandbox {self.type} #{self.id}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Handle) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("handle", self.id))


class Ref:
    """A lazy path to an object in the sandbox: a namespace or a handle, then attributes."""

    __slots__ = ("root", "path")

    def __init__(self, root: str | int, path: tuple[str, ...] = ()):
        self.root = root
        self.path = tuple(path)

    def __repr__(self) -> str:
        return ".".join([str(self.root), *self.path])


def _torch():
    import torch

    return torch


ARRAY_DTYPES = frozenset(
    np.dtype(name).str
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128",
    )
)  # fmt: skip
"""The .npy dtypes an array may have (native byte order): what tensors are made of."""
TENSOR_DTYPES = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "bfloat16", "float32", "float64", "complex64", "complex128",
)  # fmt: skip
"""The dtype names a tensor or a ``torch.dtype`` may carry across the boundary."""
MAX_FLOAT_TEXT = 40


def _npy(array: np.ndarray) -> bytes:
    """.npy bytes of `array`, C-ordered, its shape kept (a 0-d array stays 0-d, which
    `np.ascontiguousarray` would make 1-d)."""
    buf = io.BytesIO()
    np.save(buf, array if array.flags.c_contiguous else array.copy(order="C"), allow_pickle=False)
    return buf.getvalue()


def _from_npy(data: bytes | bytearray | memoryview) -> np.ndarray:
    """An array from .npy bytes, never unpickled, and only if its header is plausible:
    a dtype tensors are made of, a bounded shape, and exactly as many bytes as it needs.
    The data are viewed in place, then copied once (linear in the size)."""
    view = memoryview(data)
    stream = io.BytesIO(view[: 65536 + 12])  # the largest header numpy writes, and the magic
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }.get(version)
        if read_header is None:
            raise ValueError(f"npy version {version}")
        shape, fortran, dtype = read_header(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ProtocolError("bad array data") from None
    if not isinstance(dtype, np.dtype) or dtype.str not in ARRAY_DTYPES:
        raise ProtocolError("arrays of this dtype are refused")
    if len(shape) > MAX_NDIM or not all(isinstance(d, int) and 0 <= d < 2**40 for d in shape):
        raise ProtocolError("bad array shape")
    offset = stream.tell()
    if math.prod(shape) * dtype.itemsize != len(view) - offset:
        raise ProtocolError("the array's data do not match its shape")
    flat = np.frombuffer(view, dtype=dtype, count=math.prod(shape), offset=offset)
    if fortran:
        return flat.reshape(shape[::-1]).transpose().copy()
    return flat.reshape(shape).copy()


class Encoder:
    """Turns a value into JSON-able data plus blobs.

    `make_handle(obj) -> Handle` decides what happens to objects that are not plain data;
    the sandbox registers them, the grader refuses them.
    """

    def __init__(self, make_handle: Callable[[Any], Handle] | None = None):
        self.blobs: list[bytes] = []
        self.make_handle = make_handle

    def _blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) < 2**63 else {"__float__": repr(float(value))}
        if isinstance(value, float):
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, Handle):
            return {"__handle__": value.id, "type": value.type}
        if isinstance(value, Ref):
            return {"__ref__": [value.root, *value.path]}
        if isinstance(value, np.generic):
            return self.encode(value.item(), depth)
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise ProtocolError("object arrays cannot cross the sandbox boundary")
            return {"__ndarray__": self._blob(_npy(value))}
        torch = _torch()
        if isinstance(value, torch.Tensor):
            t = value.detach()
            dtype = str(t.dtype).removeprefix("torch.")
            if t.dtype == torch.bfloat16:
                t = t.float()
            if t.layout != torch.strided:
                t = t.to_dense()
            return {
                "__tensor__": self._blob(_npy(t.cpu().numpy())),
                "dtype": dtype,
                "requires_grad": bool(value.requires_grad),
            }
        if isinstance(value, torch.dtype):
            return {"__dtype__": str(value).removeprefix("torch.")}
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, torch.Size):
            return {"__tuple__": [int(v) for v in value]}
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return {"__tuple__": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"__dict__": {k: self.encode(v, depth + 1) for k, v in value.items()}}
        if self.make_handle is None:
            raise ProtocolError(f"cannot send a {type(value).__name__} across the sandbox boundary")
        return self.encode(self.make_handle(value), depth)


class _ResolveFailed(Exception):
    """Carries an exception raised by `resolve` (student code) through the decoder."""

    def __init__(self, exc: BaseException):
        self.exc = exc


def _keys(value: dict, *allowed: str) -> None:
    if not set(value) <= set(allowed):
        raise ProtocolError("malformed value")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Decoder:
    """Turns JSON data plus blobs back into values; `resolve(ref)` handles refs/handles.

    Whatever `value` and `blobs` hold, :meth:`decode` returns a value or raises
    :class:`ProtocolError` (exceptions of `resolve` itself pass through unchanged)."""

    def __init__(self, blobs: list[bytes], resolve: Callable[[Any], Any] | None = None):
        self.blobs = blobs
        self.resolve = resolve

    def decode(self, value: Any, depth: int = 0) -> Any:
        try:
            return self._decode(value, depth)
        except _ResolveFailed as failed:
            raise failed.exc from None
        except ProtocolError:
            raise
        except (ValueError, TypeError, OverflowError, RecursionError, MemoryError, RuntimeError,
                KeyError, IndexError, AttributeError) as exc:  # fmt: skip
            raise ProtocolError(f"malformed value ({type(exc).__name__})") from None

    def _decode(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ProtocolError("non-finite floats travel as __float__")
            return value
        if isinstance(value, list):
            return [self._decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise ProtocolError("malformed value")
        if "__float__" in value:
            _keys(value, "__float__")
            text = value["__float__"]
            if not isinstance(text, str) or len(text) > MAX_FLOAT_TEXT:
                raise ProtocolError("malformed float")
            return float(text)
        if "__tuple__" in value:
            _keys(value, "__tuple__")
            items = value["__tuple__"]
            if not isinstance(items, list):
                raise ProtocolError("malformed tuple")
            return tuple(self._decode(v, depth + 1) for v in items)
        if "__dict__" in value:
            _keys(value, "__dict__")
            items = value["__dict__"]
            if not isinstance(items, dict):
                raise ProtocolError("malformed dict")
            return {str(k): self._decode(v, depth + 1) for k, v in items.items()}
        if "__ndarray__" in value:
            _keys(value, "__ndarray__")
            return self._array(value["__ndarray__"])
        if "__tensor__" in value:
            _keys(value, "__tensor__", "dtype", "requires_grad")
            return self._tensor(value)
        if "__dtype__" in value:
            _keys(value, "__dtype__")
            return _dtype(value["__dtype__"])
        if "__device__" in value:
            _keys(value, "__device__")
            name = value["__device__"]
            if not isinstance(name, str) or len(name) > 32:
                raise ProtocolError("malformed device")
            return _torch().device(name)
        if "__handle__" in value:
            _keys(value, "__handle__", "type")
            hid, kind = value["__handle__"], value.get("type", "object")
            if not _is_int(hid) or not isinstance(kind, str):
                raise ProtocolError("malformed handle")
            return self._resolve(Handle(hid, kind[:200]))
        if "__ref__" in value:
            _keys(value, "__ref__")
            parts = value["__ref__"]
            if not isinstance(parts, list) or not parts:
                raise ProtocolError("malformed reference")
            root, *path = parts
            if not (isinstance(root, str) or _is_int(root)) or not all(
                isinstance(p, str) for p in path
            ):
                raise ProtocolError("malformed reference")
            return self._resolve(Ref(root, tuple(path)))
        raise ProtocolError("malformed value")

    def _resolve(self, ref: Ref | Handle) -> Any:
        if self.resolve is None:
            return ref
        try:
            return self.resolve(ref)
        except BaseException as exc:  # noqa: BLE001 - student code: passed on as raised
            raise _ResolveFailed(exc) from None

    def _array(self, index: Any) -> np.ndarray:
        if not _is_int(index) or not 0 <= index < len(self.blobs):
            raise ProtocolError("bad blob index")
        return _from_npy(self.blobs[index])

    def _tensor(self, value: dict):
        torch = _torch()
        t = torch.from_numpy(self._array(value["__tensor__"]))
        dtype = _dtype(value.get("dtype", str(t.dtype).removeprefix("torch.")))
        if dtype != t.dtype:
            if not (dtype == torch.bfloat16 and t.dtype == torch.float32):
                raise ProtocolError("a tensor's dtype does not match its data")
            t = t.to(dtype)
        return t


def _dtype(name: Any):
    if not isinstance(name, str) or name not in TENSOR_DTYPES:
        raise ProtocolError("unknown dtype")
    return getattr(_torch(), name)


def write_frame(stream: BinaryIO, header: dict, blobs: list[bytes] = ()) -> None:
    header = dict(header, blobs=[len(b) for b in blobs])
    data = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    stream.write(_LEN.pack(len(data)) + data)
    for blob in blobs:
        stream.write(blob)
    stream.flush()


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _valid_text(value: Any) -> Any:
    """`value` with every string made valid UTF-8: JSON may carry lone surrogates
    (``"\\ud800"``), which cannot be printed, written or rendered later."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_valid_text(v) for v in value]
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    return value


def _depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH + 2:
        return False
    if isinstance(value, list):
        return all(_depth_ok(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(_depth_ok(v, depth + 1) for v in value.values())
    return True


def parse_header(data: bytes | bytearray, max_blobs: int = MAX_BLOBS) -> dict:
    """A frame's header, checked: a JSON object nested at most about :data:`MAX_DEPTH`
    deep whose ``"blobs"`` lists the sizes of at most :data:`MAX_BLOB_COUNT` blobs
    totalling at most `max_blobs` bytes."""
    try:
        header = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as exc:
        raise ProtocolError(f"header is not JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    if not _depth_ok(header):
        raise ProtocolError("header is nested too deeply")
    if _SURROGATE_ESCAPE.search(data):
        header = _valid_text(header)
    sizes = header.get("blobs")
    if not isinstance(sizes, list) or len(sizes) > MAX_BLOB_COUNT:
        raise ProtocolError("bad blob sizes")
    if not all(_is_int(n) and 0 <= n <= max_blobs for n in sizes):
        raise ProtocolError("bad blob sizes")
    if sum(sizes) > max_blobs:
        raise ProtocolError("frame is too large")
    return header


def header_length(prefix: bytes | bytearray, max_header: int = MAX_HEADER) -> int:
    if len(prefix) != 4:
        raise ProtocolError("truncated frame")
    (n,) = _LEN.unpack(prefix)
    if n > max_header:
        raise ProtocolError("header is too large")
    return n


_ERROR_KEYS = {"type", "message", "where"}
SANDBOX_FRAMES: dict[str, dict[str, type | tuple[type, ...]]] = {
    "cell_start": {"event": str, "index": int},
    "cell_done": {"event": str, "index": int, "outputs": list, "error": (dict, type(None))},
    "helpers_failed": {"event": str, "error": dict},
    "ready": {"event": str},
    "reply": {"id": int, "ok": bool, "value": object},
    "failure": {"id": int, "ok": bool, "error": dict},
}
"""Every frame a sandbox may send: its keys (besides ``blobs``) and their types."""


def check_sandbox_header(header: dict) -> dict:
    """`header` if it is one of :data:`SANDBOX_FRAMES` exactly (no key missing or extra,
    every value of its type; error reports are strings), else ProtocolError."""
    keys = set(header) - {"blobs"}
    if "event" in keys:
        kind = header["event"] if isinstance(header["event"], str) else None
    else:
        kind = "reply" if header.get("ok") is True else "failure"
    schema = SANDBOX_FRAMES.get(kind)
    if schema is None or keys != set(schema):
        raise ProtocolError("unexpected frame")
    for key, types in schema.items():
        value = header[key]
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            raise ProtocolError(f"bad {key!r} in frame")
    error = header.get("error")
    if isinstance(error, dict) and not (
        set(error) <= _ERROR_KEYS and all(isinstance(v, str) for v in error.values())
    ):
        raise ProtocolError("bad error report in frame")
    return header


def _read_part(fill: Callable[[memoryview], None], size: int) -> bytearray:
    """`size` bytes read with `fill`, into a buffer that at most doubles as data arrive:
    linear in `size`, and never much larger than what was actually received."""
    buf = bytearray(min(size, READ_CHUNK))
    fill(memoryview(buf))
    while len(buf) < size:
        done = len(buf)
        buf.extend(bytes(min(size - done, done)))
        fill(memoryview(buf)[done:])
    return buf


def read_frame_with(
    fill: Callable[[memoryview], None], max_header: int = MAX_HEADER, max_blobs: int = MAX_BLOBS
) -> tuple[dict, list[bytearray]]:
    """One frame, read with `fill(view)`, which fills `view` completely (or raises).

    Every size is checked before anything of that size is read, and each part is read
    straight into its own buffer: linear in the frame's size, with no more memory than
    about twice what arrived."""
    prefix = _read_part(fill, 4)
    header = parse_header(_read_part(fill, header_length(prefix, max_header)), max_blobs)
    return header, [_read_part(fill, size) for size in header["blobs"]]


def read_frame(
    stream: BinaryIO, max_header: int = MAX_HEADER, max_blobs: int = MAX_BLOBS
) -> tuple[dict, list[bytearray]]:
    """Blocking read of one frame from a binary stream (inside the sandbox, in tests)."""

    def fill(view: memoryview) -> None:
        got = 0
        while got < len(view):
            n = stream.readinto(view[got:])
            if not n:
                raise EOFError("stream closed")
            got += n

    return read_frame_with(fill, max_header, max_blobs)


def read_sandbox_frame(fill: Callable[[memoryview], None]) -> tuple[dict, list[bytearray]]:
    """One frame from a sandbox: the reply limits, and one of :data:`SANDBOX_FRAMES`."""
    header, blobs = read_frame_with(fill, MAX_REPLY_HEADER, MAX_REPLY_BLOBS)
    return check_sandbox_header(header), blobs


def pack(header: dict, value_fields: dict[str, Any], make_handle=None) -> tuple[dict, list[bytes]]:
    """Encode `value_fields` into `header`; returns (header, blobs)."""
    enc = Encoder(make_handle)
    out = dict(header)
    for key, value in value_fields.items():
        out[key] = enc.encode(value)
    return out, enc.blobs
