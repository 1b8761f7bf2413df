"""The decoder under fire: whatever a sandbox sends, the trusted side gets data or a
ProtocolError, quickly and within memory proportional to what was sent."""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import threading
import time
import tracemalloc

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlgrade.sandbox import protocol
from dlgrade.sandbox.backends.base import SandboxProcess
from dlgrade.sandbox.protocol import Decoder, Encoder, ProtocolError

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAGIC_KEYS = ["__float__", "__tuple__", "__dict__", "__ndarray__", "__tensor__", "__dtype__",
              "__device__", "__handle__", "__ref__"]  # fmt: skip
DESCRS = ["<f8", "<f4", "<i8", "|b1", "|u1", "<c16", ">f8", "|V0", "|V8", "|O", "<U3", "|S2",
          "<f16", "<M8[s]", "<m8", "[('a', '<f8')]", "('<f8', (2,))", "x"]  # fmt: skip
DTYPE_NAMES = [*protocol.TENSOR_DTYPES, "float", "_dynamo", "cuda", "", "os", "qint8"]
DATA = (type(None), bool, int, float, str, np.ndarray, torch.Tensor, torch.dtype, torch.device,
        protocol.Handle, protocol.Ref)  # fmt: skip

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(DTYPE_NAMES)
)
json_values = st.recursive(
    json_scalars,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4)
    ),
    max_leaves=20,
)


def _magic(kids):
    key = st.sampled_from(MAGIC_KEYS)
    extra = st.dictionaries(st.sampled_from(["dtype", "type", "requires_grad", "x"]), kids,
                            max_size=2)  # fmt: skip
    small = st.integers(min_value=-2, max_value=4)
    payload = st.one_of(small, st.sampled_from(DTYPE_NAMES), st.lists(kids, max_size=3), kids)
    return st.builds(lambda k, p, e: {k: p, **e}, key, payload, extra)


hostile_values = st.recursive(
    json_scalars,
    lambda kids: (
        st.lists(kids, max_size=3)
        | _magic(kids)
        | st.builds(
            lambda d: {"__dict__": d}, st.dictionaries(st.text(max_size=4), kids, max_size=3)
        )
        | st.builds(lambda xs: {"__tuple__": xs}, st.lists(kids, max_size=3))
    ),
    max_leaves=12,
)


def _npy_header(text: bytes, version: int = 1) -> bytes:
    pad = (-(len(text) + 11)) % 64
    body = text + b" " * pad + b"\n"
    size = struct.pack("<H", len(body)) if version == 1 else struct.pack("<I", len(body))
    return b"\x93NUMPY" + bytes([version, 0]) + size + body


@st.composite
def npy_blobs(draw) -> bytes:
    """Valid, cut, forged (any dtype, shape, order, nesting) and random .npy blobs."""
    kind = draw(st.sampled_from(["valid", "forged", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=200))
    if kind == "valid":
        dtype = draw(st.sampled_from(["float64", "float32", "int64", "bool", "complex128"]))
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        buf = io.BytesIO()
        np.save(buf, np.zeros(shape, dtype=dtype), allow_pickle=False)
        data = buf.getvalue()
        return data if draw(st.booleans()) else data[: draw(st.integers(0, len(data)))]
    descr = draw(st.sampled_from(DESCRS))
    dims = st.integers(-3, 2**62) | st.integers(0, 5)
    shape = tuple(draw(st.lists(dims, max_size=draw(st.sampled_from([3, 20, 70])))))
    fortran = draw(st.booleans())
    descr_text = descr if descr.startswith(("[", "(")) else repr(descr)
    text = draw(
        st.sampled_from(
            [
                f"{{'descr': {descr_text}, 'fortran_order': {fortran}, 'shape': {shape!r}, }}",
                "{'descr': <f8, 'shape': (",
                "(" * 400 + ")" * 400,
            ]
        )
    )
    data = draw(st.binary(max_size=64))
    return _npy_header(text.encode(), draw(st.sampled_from([1, 2]))) + data


def _is_data(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_data(v) for k, v in value.items())
    return isinstance(value, DATA)


def _size(value, blobs) -> int:
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return len(text) + sum(len(b) for b in blobs)


def _bounded(fn, input_size: int):
    """Run `fn()`; fail if it took over a second of CPU or traced memory far beyond its
    input. Returns what fn returned, or the ProtocolError it raised."""
    tracemalloc.start()
    started = time.process_time()
    try:
        result = fn()
    except ProtocolError as exc:
        result = exc
    finally:
        cpu = time.process_time() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert cpu < 1.0, f"{cpu:.2f} s of CPU"
    assert peak < 64 * input_size + (2 << 20), f"{peak} bytes traced for {input_size} bytes in"
    return result


@FUZZ
@given(value=hostile_values, blobs=st.lists(npy_blobs(), max_size=3))
def test_decoder_gives_data_or_protocol_error(value, blobs):
    """Does any value with any blobs decode to data or raise ProtocolError, never another
    exception, a hang or a memory blow-up?"""
    result = _bounded(lambda: Decoder(blobs).decode(value), _size(value, blobs))
    assert isinstance(result, ProtocolError) or _is_data(result)


@st.composite
def frames(draw) -> bytes:
    """Byte streams shaped like frames, with hostile lengths, headers and blob lists."""
    error = json_values | st.dictionaries(
        st.sampled_from(["type", "message", "where", "x"]), json_values, max_size=3
    )
    header = draw(
        json_values
        | st.fixed_dictionaries(
            {"blobs": st.lists(st.integers(-2, 40), max_size=4) | json_values},
            optional={
                "id": json_values | st.integers(0, 3),
                "ok": st.booleans() | json_values,
                "value": hostile_values,
                "event": st.sampled_from(["ready", "cell_start", "cell_done", "x"]) | json_values,
                "index": st.integers(0, 3) | json_values,
                "outputs": json_values,
                "error": error,
            },
        )
    )
    text = json.dumps(header).encode()
    raw = draw(
        st.sampled_from([text, text[:-1], b"\xff\xfe" + text, b"[" * 5000 + b"]" * 5000])
        | st.binary(max_size=40)
    )
    announced = draw(st.just(len(raw)) | st.integers(0, 2**32 - 1))
    tail = draw(st.lists(npy_blobs(), max_size=3))
    return struct.pack(">I", announced) + raw + b"".join(tail)


def _stream_fill(data: bytes):
    stream = io.BytesIO(data)

    def fill(view: memoryview) -> None:
        got = 0
        while got < len(view):
            n = stream.readinto(view[got:])
            if not n:
                raise EOFError("stream closed")
            got += n

    return fill


@FUZZ
@given(data=frames())
def test_frames_from_a_sandbox_give_data_or_protocol_error(data):
    """Does reading and decoding any byte stream give a frame, ProtocolError, or (for a
    stream that ends early) EOFError, within time and memory bounds?"""

    def read_and_decode():
        try:
            header, blobs = protocol.read_sandbox_frame(_stream_fill(data))
        except EOFError:
            return "eof"
        return header, Decoder(blobs).decode(header.get("value"))

    result = _bounded(read_and_decode, len(data))
    if isinstance(result, tuple):
        header, value = result
        assert set(header) - {"blobs"} in [set(s) for s in protocol.SANDBOX_FRAMES.values()]
        assert _is_data(value)


@FUZZ
@given(
    dtype=st.sampled_from(
        [
            torch.float64,
            torch.float32,
            torch.bfloat16,
            torch.int64,
            torch.bool,
            torch.complex64,
            torch.uint8,
        ]
    ),  # fmt: skip
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),  # 0-d arrives as 1-d
    transpose=st.booleans(),
    nest=st.integers(0, 5),
)
def test_honest_values_still_roundtrip(dtype, shape, transpose, nest):
    """Does everything the encoder produces (nested, non-contiguous) still decode exactly?"""
    t = (torch.arange(int(np.prod(shape)), dtype=torch.float64).reshape(shape) % 3).to(dtype)
    if transpose and t.dim() >= 2:
        t = t.transpose(0, 1)
    value = t
    for i in range(nest):
        value = {"k": [value, (i, "s", float("nan"))]} if i % 2 else (value, None)
    enc = Encoder()
    data = enc.encode(value)
    buf = io.BytesIO()
    protocol.write_frame(buf, {"id": 1, "ok": True, "value": data}, enc.blobs)
    header, blobs = protocol.read_sandbox_frame(_stream_fill(buf.getvalue()))
    out = Decoder(blobs).decode(header["value"])
    for _ in range(nest):
        out = out["k"][0] if isinstance(out, dict) else out[0]
    assert out.dtype == dtype and out.shape == t.shape and torch.equal(out, t)


def _frame(header) -> bytes:
    data = json.dumps(header).encode()
    return struct.pack(">I", len(data)) + data


@pytest.mark.parametrize(
    "header",
    [
        {"id": 1, "ok": True, "value": 3},  # no "blobs" (finding 10: was a KeyError)
        {"id": 1, "ok": True, "value": 3, "blobs": [True]},
        {"id": 1, "ok": True, "value": 3, "blobs": [-1]},
        {"id": 1, "ok": True, "value": 3, "blobs": [0] * 5000},
        {"id": 1, "ok": True, "value": 3, "blobs": [2**40]},
        {"id": 1, "ok": True, "blobs": []},
        {"id": 1, "ok": True, "value": 3, "extra": 1, "blobs": []},
        {"id": "1", "ok": False, "error": {}, "blobs": []},
        {"id": 1, "ok": False, "error": {"type": 5}, "blobs": []},
        {"id": 1, "ok": False, "error": {"type": "X", "builtin": True}, "blobs": []},
        {"event": "cell_done", "index": True, "outputs": [], "error": None, "blobs": []},
        {"event": "ready", "index": 1, "blobs": []},
        {"event": 3, "blobs": []},
        [1, 2],
    ],
)
def test_malformed_frames_are_protocol_errors(header):
    """Is each malformed frame from a sandbox a ProtocolError (not KeyError, TypeError)?"""
    with pytest.raises(ProtocolError):
        protocol.read_sandbox_frame(_stream_fill(_frame(header)))


@pytest.mark.parametrize(
    "value",
    [
        {"__dtype__": "_dynamo"},  # torch's lazy attributes: a getattr would import it
        {"__tensor__": 0, "dtype": "complex128"},  # float32 data relabelled: 4x the memory
        {"__tensor__": 0, "dtype": "_dynamo"},
        {"__float__": "1" * 100},
        {"__float__": "not a number"},
        {"__device__": "quantum:7"},
        {"__handle__": True},
        {"__ref__": []},
        {"__tuple__": 5},
        {"__dict__": [1]},
        {"__ndarray__": 0, "x": 1},
        float("inf"),
    ],
)
def test_hostile_values_are_protocol_errors(value):
    """Are forged dtypes, labels, floats, devices and handles refused without side effects?"""
    blob = protocol._npy(np.zeros(4, dtype=np.float32))
    before = set(sys.modules)
    with pytest.raises(ProtocolError):
        Decoder([blob]).decode(value)
    assert not {m for m in set(sys.modules) - before if m.startswith("torch")}


class _Pipe(SandboxProcess):
    def poll(self):
        return None

    def kill(self):
        pass


def _through_a_pipe(payload: bytes):
    r, w = os.pipe()

    def write():
        try:
            with os.fdopen(w, "wb") as f:
                f.write(payload)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write)
    writer.start()
    try:
        return _Pipe(-1, r).recv(time.monotonic() + 120)
    finally:
        os.close(r)
        writer.join()


def test_a_large_reply_is_read_in_linear_time():
    """Is a 128 MiB reply read through a pipe and decoded in a few seconds of CPU (the
    receive buffer once grew by concatenation: 58 s), and its relabelling refused?"""
    t = torch.zeros(16 * 2**20, dtype=torch.float64)
    for label in ("float64", "complex128"):
        header, blobs = protocol.pack({"id": 1, "ok": True}, {"value": t})
        header["value"]["dtype"] = label
        buf = io.BytesIO()
        protocol.write_frame(buf, header, blobs)
        del blobs
        started = time.process_time()
        frame, got = _through_a_pipe(buf.getvalue())
        del buf
        if label == "float64":
            assert Decoder(got).decode(frame["value"]).shape == t.shape
        else:
            with pytest.raises(ProtocolError):
                Decoder(got).decode(frame["value"])
        assert time.process_time() - started < 10.0, f"{label}: too slow"
        del got
