"""The trusted checks of a submission's bytes: safetensors weights and declared metadata.

A submission is data, never code: a safetensors file of an `arch.Encoder`'s float32 state
dict and a small JSON object ``{"size": "...", "hyperparams": {...}}``. Everything here
runs on the trusted side before anything else touches the bytes:

1. the file is sniffed: a pickle (``torch.save``'s legacy format, ``pickle.dump``) or a
   zip archive (``torch.save``) is named as such and refused, never opened;
2. the safetensors header is parsed by hand, within bounds: an 8-byte little-endian
   length (at most :data:`MAX_HEADER_BYTES`), a JSON object without duplicate keys, one
   entry per tensor with exactly ``dtype``, ``shape`` and ``data_offsets``, the offsets
   contiguous from 0 and ending exactly at the end of the file;
3. names and shapes must equal ``arch.expected_state(size)`` of the declared size, every
   dtype ``F32``;
4. the raw float32 data (``numpy.frombuffer``: plain numbers) must be finite and at most
   :data:`MAX_ABS_WEIGHT` in magnitude.

Every `Rejected.reason` is grader-authored: names, dtypes and sizes of the expected
architecture and numbers formatted here, never text taken from the submission.

`save_encoder` writes the same format by hand (no safetensors package needed in the
students' image); `safetensors.torch.load` reads it, and this module reads theirs.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlgrade.compete import arch

MAX_HEADER_BYTES = 64 * 1024
"""Largest safetensors JSON header accepted (an encoder's is well under 1 KiB)."""
MAX_WEIGHTS_BYTES = 2 * 1024 * 1024
"""Largest weights file accepted (a `large` encoder's is about 470 KiB)."""
MAX_META_BYTES = 16 * 1024
"""Largest metadata JSON accepted."""
MAX_ABS_WEIGHT = 1.0e4
"""Largest magnitude of a weight: anything beyond is not a trained encoder."""
SAVE_HINT = "save with safetensors.torch.save_file / dlgrade.compete.weights.save_encoder"

META_KEYS = ("size", "hyperparams")
MAX_META_DEPTH = 4
MAX_META_ITEMS = 256
MAX_META_STRING = 200
MAX_META_NUMBER = 1.0e15
_META_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")
_KNOWN_DTYPES = (
    "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
    "I32", "U32", "F32", "F64", "I64", "U64",
)  # fmt: skip
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}
_MAX_NDIM = 8


class Rejected(Exception):
    """A submission refused by the trusted checks; `reason` is grader-authored text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Checked:
    """A submission that passed every trusted check (its bytes unchanged)."""

    size: str
    weights: bytes
    hyperparams: dict
    n_params: int


@dataclass(frozen=True)
class _Entry:
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


# -- the weights file --------------------------------------------------------------------


def _sniff(weights: bytes) -> None:
    """Refuse what is plainly not a safetensors file, naming what it is."""
    if weights[:1] == b"\x80" and weights[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise Rejected(
            "the weights file is a pickle (torch.save or pickle.dump), which is never "
            f"loaded here; {SAVE_HINT}"
        )
    if weights[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        raise Rejected(
            "the weights file is a zip archive (what torch.save writes), which is never "
            f"loaded here; {SAVE_HINT}"
        )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("duplicate key")
        out[key] = value
    return out


def _refuse_constant(name: str) -> None:
    raise ValueError(f"non-finite number {name}")


def _loads(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_header(weights: bytes) -> tuple[dict[str, _Entry], int]:
    """The tensor entries of a safetensors file and where its data begin, every bound
    checked (the header's length and JSON, each entry's keys and types, the offsets
    contiguous from 0 to exactly the end of the file); else `Rejected`."""
    if not isinstance(weights, (bytes, bytearray, memoryview)):
        raise Rejected("the weights must be the bytes of a safetensors file")
    weights = bytes(weights)
    if len(weights) > MAX_WEIGHTS_BYTES:
        raise Rejected(
            f"the weights file is {len(weights)} bytes; at most {MAX_WEIGHTS_BYTES} are accepted"
        )
    _sniff(weights)
    if len(weights) < 8:
        raise Rejected(f"the weights file is {len(weights)} bytes: not a safetensors file")
    (n,) = struct.unpack("<Q", weights[:8])
    if n > MAX_HEADER_BYTES:
        raise Rejected(
            f"the safetensors header declares {n} bytes; at most {MAX_HEADER_BYTES} are "
            f"accepted ({SAVE_HINT})"
        )
    if 8 + n > len(weights):
        raise Rejected(
            f"the safetensors header declares {n} bytes but the file has only "
            f"{len(weights) - 8} after the length"
        )
    try:
        header = _loads(weights[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected(
            f"the safetensors header is not valid JSON (or repeats a key); {SAVE_HINT}"
        ) from None
    if not isinstance(header, dict):
        raise Rejected("the safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise Rejected("the safetensors header's __metadata__ must map names to strings")
    entries = {name: _entry(value) for name, value in header.items()}
    data_len = len(weights) - 8 - n
    position = 0
    for entry in sorted(entries.values(), key=lambda e: (e.begin, e.end)):
        if entry.begin != position:
            raise Rejected("the tensors' data_offsets overlap or leave gaps (a lying header)")
        position = entry.end
    if position != data_len:
        raise Rejected(
            f"the header describes {position} bytes of tensor data but the file holds "
            f"{data_len} (a lying header)"
        )
    return entries, 8 + n


def _entry(value: Any) -> _Entry:
    if not isinstance(value, dict) or set(value) != _ENTRY_KEYS:
        raise Rejected(
            "a tensor entry of the header does not hold exactly dtype, shape, data_offsets"
        )
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if not isinstance(dtype, str):
        raise Rejected("a tensor entry of the header has a dtype that is not a string")
    if (
        not isinstance(shape, list)
        or len(shape) > _MAX_NDIM
        or not all(_is_int(d) and 0 <= d < 2**31 for d in shape)
    ):
        raise Rejected("a tensor entry of the header has a malformed shape")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_is_int(o) and 0 <= o <= MAX_WEIGHTS_BYTES for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise Rejected("a tensor entry of the header has malformed data_offsets")
    entry = _Entry(dtype, tuple(shape), offsets[0], offsets[1])
    if dtype == "F32" and entry.end - entry.begin != 4 * math.prod(entry.shape):
        raise Rejected("a tensor's data_offsets do not match its shape (a lying header)")
    return entry


def _architecture(entries: dict[str, _Entry], size: str) -> None:
    """Names, shapes and dtypes against `arch.expected_state(size)`."""
    expected = arch.expected_state(size)
    missing = [name for name in expected if name not in entries]
    extra = len([name for name in entries if name not in expected])
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"it lacks {', '.join(missing)}")
        if extra:
            parts.append(
                f"it has {extra} tensor{'s' if extra > 1 else ''} an Encoder does not have"
            )
        raise Rejected(
            f"the weights are not a {size} dlgrade.compete.arch Encoder's state dict: "
            f"{'; '.join(parts)}"
        )
    for name in expected:
        dtype = entries[name].dtype
        if dtype != "F32":
            shown = dtype if dtype in _KNOWN_DTYPES else "an unknown dtype"
            raise Rejected(f"tensor {name} is {shown}; every tensor must be float32 (F32)")
    wrong = [name for name, shape in expected.items() if entries[name].shape != shape]
    if wrong:
        other = [
            s
            for s in arch.SIZES
            if s != size
            and all(entries[n].shape == shp for n, shp in arch.expected_state(s).items())
        ]
        if other:
            raise Rejected(
                f"these are the weights of a {other[0]} encoder, but the submission "
                f"declares size {size}"
            )
        name = wrong[0]
        got = entries[name].shape
        raise Rejected(f"tensor {name} has shape {got}; a {size} encoder's is {expected[name]}")


def read_tensors(weights: bytes, size: str) -> dict[str, np.ndarray]:
    """The checked float32 tensors of a `size` encoder's safetensors file, as numpy
    arrays (copies), in `arch.expected_state` order; `Rejected` for any defect."""
    entries, start = parse_header(weights)
    _architecture(entries, size)
    out: dict[str, np.ndarray] = {}
    for name, shape in arch.expected_state(size).items():
        entry = entries[name]
        values = np.frombuffer(
            weights, dtype="<f4", count=math.prod(shape), offset=start + entry.begin
        )
        if not np.isfinite(values).all():
            raise Rejected(f"tensor {name} holds NaN or infinite values")
        if values.size and float(np.abs(values).max()) > MAX_ABS_WEIGHT:
            raise Rejected(
                f"tensor {name} holds values beyond ±{MAX_ABS_WEIGHT:g}: not a trained encoder"
            )
        out[name] = values.astype(np.float32).reshape(shape)
    return out


# -- the metadata --------------------------------------------------------------------------


def _plain(value: Any, depth: int, budget: list[int]) -> Any:
    """`value` as bounded plain JSON data, else `Rejected`."""
    budget[0] -= 1
    if budget[0] < 0:
        raise Rejected(f"the metadata holds more than {MAX_META_ITEMS} values")
    if depth > MAX_META_DEPTH:
        raise Rejected(f"the metadata is nested more than {MAX_META_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if _is_int(value):
        if abs(value) > MAX_META_NUMBER:
            raise Rejected(f"a number of the metadata is beyond ±{MAX_META_NUMBER:g}")
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_META_NUMBER:
            raise Rejected(f"a number of the metadata is not finite or beyond ±{MAX_META_NUMBER:g}")
        return float(value)
    if isinstance(value, str):
        if len(value) > MAX_META_STRING or not value.isprintable():
            raise Rejected(
                f"a string of the metadata is longer than {MAX_META_STRING} characters "
                "or holds control characters"
            )
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1, budget) for v in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or not _META_KEY.match(key):
                raise Rejected(
                    "a key of the metadata is not a name of letters, digits, '_', '.', '-' "
                    "(at most 64 characters, starting with a letter or '_')"
                )
        return {str(k): _plain(v, depth + 1, budget) for k, v in value.items()}
    raise Rejected("the metadata holds a value that is not plain JSON data")


def check_meta(meta: bytes | str | dict) -> tuple[str, dict]:
    """(size, hyperparams) of the declared metadata, bounded; else `Rejected`."""
    if isinstance(meta, (bytes, bytearray, str)):
        raw = meta.encode("utf-8", "replace") if isinstance(meta, str) else bytes(meta)
        if len(raw) > MAX_META_BYTES:
            raise Rejected(
                f"the metadata is {len(raw)} bytes; at most {MAX_META_BYTES} are accepted"
            )
        try:
            meta = _loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Rejected("the metadata is not valid JSON (or repeats a key)") from None
    if not isinstance(meta, dict):
        raise Rejected('the metadata must be a JSON object {"size": ..., "hyperparams": {...}}')
    meta = _plain(meta, 0, [MAX_META_ITEMS])
    if len(json.dumps(meta)) > MAX_META_BYTES:
        raise Rejected(f"the metadata is longer than {MAX_META_BYTES} bytes")
    unknown = len(set(meta) - set(META_KEYS))
    if unknown:
        raise Rejected(
            f"the metadata has {unknown} key{'s' if unknown > 1 else ''} besides "
            f"{' and '.join(META_KEYS)}"
        )
    size = meta.get("size")
    if not isinstance(size, str) or size not in arch.SIZES:
        raise Rejected(f"the declared size must be one of {', '.join(arch.SIZES)}")
    hyperparams = meta.get("hyperparams", {})
    if not isinstance(hyperparams, dict):
        raise Rejected("the declared hyperparams must be a JSON object")
    return size, hyperparams


def check_submission(weights: bytes, meta: bytes | str | dict) -> Checked:
    """A submission's weights and metadata, every trusted check passed; else `Rejected`
    with a grader-authored reason naming the defect."""
    if not isinstance(weights, (bytes, bytearray, memoryview)):
        raise Rejected("the weights must be the bytes of a safetensors file")
    weights = bytes(weights)
    parse_header(weights)  # the container first: a pickle is named before the metadata
    size, hyperparams = check_meta(meta)
    tensors = read_tensors(weights, size)
    return Checked(
        size=size,
        weights=weights,
        hyperparams=hyperparams,
        n_params=sum(t.size for t in tensors.values()),
    )


# -- the client's side -------------------------------------------------------------------


def save_encoder(encoder: Any) -> bytes:
    """The safetensors bytes of `encoder`'s state dict (float32, contiguous, CPU), as
    ``safetensors.torch.save`` would write them (tensors sorted by name, the header
    padded to 8 bytes)."""
    state = encoder.state_dict() if hasattr(encoder, "state_dict") else dict(encoder)
    header: dict[str, dict] = {}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(state):
        array = state[name].detach().cpu().float().contiguous().numpy().astype("<f4")
        data = array.tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)
