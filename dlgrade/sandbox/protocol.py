"""Wire format between the grader and the sandbox: plain data only, never pickle.

A frame is a 4-byte big-endian header length, a UTF-8 JSON header, then the binary
blobs the header lists (`"blobs": [n0, n1, ...]`). Tensors and arrays travel as `.npy`
bytes and are read back with ``numpy.load(..., allow_pickle=False)``; everything else is
JSON. Objects that are not plain data stay in the sandbox and travel as handles.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

MAX_HEADER = 64 * 1024 * 1024
MAX_BLOBS = 512 * 1024 * 1024
MAX_DEPTH = 32
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


ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: what tensors are made of


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def _from_npy(data: bytes) -> np.ndarray:
    """An array from .npy bytes, never unpickled, and only if its header is plausible:
    a dtype tensors are made of, and no more elements than the bytes carry."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }.get(version)
        if read_header is None:
            raise ValueError(f"npy version {version}")
        shape, _, dtype = read_header(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise ProtocolError(f"bad array data ({type(exc).__name__})") from None
    if dtype.kind not in ARRAY_KINDS or dtype.itemsize == 0:
        raise ProtocolError(f"arrays of dtype {dtype.str} are refused")
    if math.prod(shape) * dtype.itemsize > len(data) - stream.tell():
        raise ProtocolError("the array is larger than its data")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProtocolError(f"bad array data ({type(exc).__name__})") from None


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
            if t.is_complex() or t.layout != torch.strided:
                t = t.to_dense() if t.layout != torch.strided else t
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


class Decoder:
    """Turns JSON data plus blobs back into values; `resolve(ref)` handles refs/handles."""

    def __init__(self, blobs: list[bytes], resolve: Callable[[Any], Any] | None = None):
        self.blobs = blobs
        self.resolve = resolve

    def decode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ProtocolError("value is nested too deeply")
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.decode(v, depth + 1) for v in value]
        if not isinstance(value, dict) or len(value) == 0:
            raise ProtocolError("malformed value")
        if "__float__" in value:
            return float(value["__float__"])
        if "__tuple__" in value:
            return tuple(self.decode(v, depth + 1) for v in value["__tuple__"])
        if "__dict__" in value:
            return {str(k): self.decode(v, depth + 1) for k, v in value["__dict__"].items()}
        if "__ndarray__" in value:
            return self._array(value["__ndarray__"])
        if "__tensor__" in value:
            torch = _torch()
            arr = self._array(value["__tensor__"])
            t = torch.from_numpy(arr.copy())
            dtype = getattr(torch, str(value.get("dtype", "")), None)
            if isinstance(dtype, torch.dtype) and t.dtype != dtype:
                t = t.to(dtype)
            return t
        if "__dtype__" in value:
            torch = _torch()
            dtype = getattr(torch, str(value["__dtype__"]), None)
            if not isinstance(dtype, torch.dtype):
                raise ProtocolError("unknown dtype")
            return dtype
        if "__device__" in value:
            return _torch().device(str(value["__device__"]))
        if "__handle__" in value:
            h = Handle(value["__handle__"], value.get("type", "object"))
            return self.resolve(h) if self.resolve else h
        if "__ref__" in value:
            root, *path = value["__ref__"]
            ref = Ref(root if isinstance(root, str) else int(root), tuple(map(str, path)))
            return self.resolve(ref) if self.resolve else ref
        raise ProtocolError("malformed value")

    def _array(self, index: Any) -> np.ndarray:
        if not isinstance(index, int) or not 0 <= index < len(self.blobs):
            raise ProtocolError("bad blob index")
        return _from_npy(self.blobs[index])


def write_frame(stream: BinaryIO, header: dict, blobs: list[bytes] = ()) -> None:
    header = dict(header, blobs=[len(b) for b in blobs])
    data = json.dumps(header, allow_nan=False, separators=(",", ":")).encode()
    stream.write(_LEN.pack(len(data)) + data)
    for blob in blobs:
        stream.write(blob)
    stream.flush()


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


def parse_header(data: bytes) -> dict:
    try:
        header = _valid_text(json.loads(data.decode("utf-8")))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not JSON: {type(exc).__name__}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    sizes = header.get("blobs", [])
    if not isinstance(sizes, list) or not all(isinstance(n, int) and n >= 0 for n in sizes):
        raise ProtocolError("bad blob sizes")
    if sum(sizes) > MAX_BLOBS:
        raise ProtocolError("frame is too large")
    return header


def header_length(prefix: bytes) -> int:
    (n,) = _LEN.unpack(prefix)
    if n > MAX_HEADER:
        raise ProtocolError("header is too large")
    return n


def read_frame(stream: BinaryIO) -> tuple[dict, list[bytes]]:
    """Blocking read of one frame (used inside the sandbox, where blocking is fine)."""
    prefix = _read_exact(stream, 4)
    header = parse_header(_read_exact(stream, header_length(prefix)))
    blobs = [_read_exact(stream, n) for n in header["blobs"]]
    return header, blobs


def _read_exact(stream: BinaryIO, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def pack(header: dict, value_fields: dict[str, Any], make_handle=None) -> tuple[dict, list[bytes]]:
    """Encode `value_fields` into `header`; returns (header, blobs)."""
    enc = Encoder(make_handle)
    out = dict(header)
    for key, value in value_fields.items():
        out[key] = enc.encode(value)
    return out, enc.blobs
