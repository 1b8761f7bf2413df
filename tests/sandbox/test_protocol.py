"""The wire format: plain data in, plain data out, never pickle."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

from dlgrade.sandbox import protocol
from dlgrade.sandbox.protocol import Decoder, Encoder, Handle, ProtocolError, Ref


def roundtrip(value, make_handle=None):
    enc = Encoder(make_handle)
    data = enc.encode(value)
    buf = io.BytesIO()
    protocol.write_frame(buf, {"v": data}, enc.blobs)
    buf.seek(0)
    header, blobs = protocol.read_frame(buf)
    return Decoder(blobs).decode(header["v"])


def test_plain_values_roundtrip():
    """Do numbers, strings, nested containers and non-finite floats survive?"""
    value = {"a": [1, 2.5, None, True, "s"], "t": (1, (2, 3)), "nan": math.inf}
    assert roundtrip(value) == value


def test_tensors_keep_dtype_values_and_shape():
    """Do tensors of several dtypes come back equal (bfloat16 included)?"""
    for dtype in (torch.float64, torch.float32, torch.int64, torch.bool, torch.bfloat16):
        t = (torch.arange(6).reshape(2, 3) % 2).to(dtype)
        out = roundtrip(t)
        assert out.dtype == dtype and torch.equal(out, t)


def test_zero_dim_and_non_contiguous_values_keep_their_shape():
    """Does a 0-d tensor (a loss) come back 0-d, and a transposed view with its values?"""
    for value in (torch.tensor(3.5, dtype=torch.float64), np.array(2, dtype=np.int64)):
        out = roundtrip(value)
        assert out.shape == value.shape == () and float(out) == float(value)
    t = torch.arange(6.0).reshape(2, 3).T
    assert torch.equal(roundtrip(t), t)


def test_object_arrays_are_refused_both_ways():
    """Are object arrays (which would need pickle) refused when encoding and decoding?"""
    with pytest.raises(ProtocolError):
        Encoder().encode(np.array([object()], dtype=object))
    buf = io.BytesIO()
    np.save(buf, np.array([1, "x"], dtype=object), allow_pickle=True)
    with pytest.raises(ProtocolError):
        Decoder([buf.getvalue()]).decode({"__ndarray__": 0})


def _npy_header_only(dtype: str, shape: tuple) -> bytes:
    """An .npy file that declares `shape` but carries no data (what a forger can send)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": shape}
    )
    return buf.getvalue()


@pytest.mark.parametrize(
    "blob",
    [
        _npy_header_only("|V0", (10**15,)),  # zero-size elements: looping over 10^15 of them
        _npy_header_only("<f8", (2**36,)),  # 512 GiB announced, nothing sent
        _npy_header_only("|V8", (4,)),  # raw bytes: not something a tensor is made of
        b"\x93NUMPY garbage",
    ],
    ids=["void0", "huge", "void8", "garbage"],
)
def test_forged_array_data_is_refused(blob):
    """Are arrays that only a forger sends (zero-size or raw-byte dtypes, shapes larger
    than the data, broken files) refused as protocol errors?"""
    with pytest.raises(ProtocolError):
        Decoder([blob]).decode({"__ndarray__": 0})


def test_lone_surrogates_in_headers_become_valid_text():
    """Is a string the sandbox sends always printable and writable (no lone surrogates)?"""
    header = protocol.parse_header(
        b'{"blobs": [], "error": {"type": "X\\ud800", "k\\udfff": ["\\ud83d\\ude00"]}}'
    )
    text = str(header)
    text.encode("utf-8")
    assert header["error"]["type"] == "X?" and header["error"]["k?"] == ["\U0001f600"]


def test_unknown_objects_become_handles_or_are_refused():
    """Do non-data objects become handles in the sandbox and errors in the grader?"""
    with pytest.raises(ProtocolError):
        Encoder().encode(object())
    out = roundtrip(object(), make_handle=lambda obj: Handle(7, "object"))
    assert isinstance(out, Handle) and out.id == 7
    assert isinstance(roundtrip(Ref("ns", ("f",))), Ref)


@pytest.mark.parametrize("bad", [{"__weird__": 1}, {}, {"__ndarray__": 5}, {"__dtype__": "os"}])
def test_malformed_values_are_protocol_errors(bad):
    """Is every malformed value a ProtocolError, not a crash or code execution?"""
    with pytest.raises(ProtocolError):
        Decoder([]).decode(bad)


def test_oversized_headers_are_refused():
    """Is a frame announcing a giant header refused before reading it?"""
    with pytest.raises(ProtocolError):
        protocol.header_length((2**31).to_bytes(4, "big"))
