"""The trusted checks of a submission's bytes: every bad kind rejected, naming the defect."""

from __future__ import annotations

import io
import json
import pickle
import struct

import numpy as np
import pytest
import safetensors.torch
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlgrade.compete import arch
from dlgrade.compete.weights import (
    MAX_META_BYTES,
    MAX_WEIGHTS_BYTES,
    SAVE_HINT,
    Checked,
    Rejected,
    check_meta,
    check_submission,
    save_encoder,
)

META = {"size": "small", "hyperparams": {"lr": 0.001}}


def state(size: str = "small", seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    return arch.build_encoder(size).state_dict()


def raw_file(header: dict, data: bytes, length: int | None = None) -> bytes:
    """A safetensors file from a header written by hand (possibly lying)."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def file_of(tensors: dict[str, np.ndarray], dtype: str = "F32") -> bytes:
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    return raw_file(header, b"".join(chunks))


def numpy_state(size: str = "small") -> dict[str, np.ndarray]:
    return {k: v.numpy().astype("<f4") for k, v in state(size).items()}


def rejected(weights: bytes, meta=META) -> str:
    with pytest.raises(Rejected) as info:
        check_submission(weights, meta)
    return info.value.reason


# -- good submissions -----------------------------------------------------------------------


def test_save_encoder_is_safetensors_and_accepted():
    """Does save_encoder write what safetensors writes, and does a check accept it?"""
    encoder = arch.build_encoder("medium")
    blob = save_encoder(encoder)
    assert blob == safetensors.torch.save(encoder.state_dict())
    back = safetensors.torch.load(blob)
    assert all(torch.equal(back[k], v) for k, v in encoder.state_dict().items())
    checked = check_submission(blob, {"size": "medium", "hyperparams": {}})
    assert isinstance(checked, Checked) and checked.weights == blob
    assert checked.n_params == arch.parameter_count("medium") and checked.size == "medium"


@pytest.mark.parametrize("size", list(arch.SIZES))
def test_safetensors_save_file_is_accepted_for_every_size(size, tmp_path):
    path = tmp_path / "w.safetensors"
    safetensors.torch.save_file(state(size), str(path))
    blob = path.read_bytes()
    assert len(blob) < MAX_WEIGHTS_BYTES
    assert check_submission(blob, json.dumps({"size": size})).hyperparams == {}


def test_meta_as_bytes_str_or_dict():
    blob = save_encoder(arch.build_encoder("small"))
    for meta in (META, json.dumps(META), json.dumps(META).encode()):
        assert check_submission(blob, meta).hyperparams == {"lr": 0.001}
    nested = {"size": "small", "hyperparams": {"opt": {"name": "adam", "betas": [0.9, 0.99]}}}
    assert check_meta(nested) == ("small", nested["hyperparams"])


# -- bad weights ------------------------------------------------------------------------------


def test_pickle_is_named_and_refused():
    reason = rejected(pickle.dumps({k: v.numpy() for k, v in state().items()}))
    assert "pickle" in reason and SAVE_HINT in reason


def test_torch_save_zip_and_legacy_are_named_and_refused():
    buf = io.BytesIO()
    torch.save(state(), buf)
    reason = rejected(buf.getvalue())
    assert "zip" in reason and "torch.save" in reason and SAVE_HINT in reason
    buf = io.BytesIO()
    torch.save(state(), buf, _use_new_zipfile_serialization=False)
    assert "pickle" in rejected(buf.getvalue())


def test_oversized_file_is_refused():
    assert f"at most {MAX_WEIGHTS_BYTES}" in rejected(b"\0" * (MAX_WEIGHTS_BYTES + 1))


@pytest.mark.parametrize(
    "blob, words",
    [
        (b"", "not a safetensors file"),
        (b"\x01\x02", "not a safetensors file"),
        (struct.pack("<Q", 2**62) + b"{}", "header declares"),
        (struct.pack("<Q", 500) + b"{}", "only"),
        (struct.pack("<Q", 4) + b"\xff\xfe{}", "not valid JSON"),
        (struct.pack("<Q", 2) + b"[]", "not a JSON object"),
    ],
    ids=["empty", "short", "huge header", "header past the end", "not utf-8", "list"],
)
def test_malformed_headers(blob, words):
    assert words in rejected(blob)


def test_duplicate_keys_in_header():
    text = b'{"fc.bias":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"fc.bias":{}}'
    assert "repeats a key" in rejected(struct.pack("<Q", len(text)) + text + b"\0" * 4)


def test_deeply_nested_header_does_not_crash():
    text = b"[" * 30000 + b"]" * 30000
    assert "not valid JSON" in rejected(struct.pack("<Q", len(text)) + text)


def test_wrong_size_is_named():
    blob = save_encoder(arch.build_encoder("medium"))
    reason = rejected(blob, {"size": "small"})
    assert "medium encoder" in reason and "declares size small" in reason


def test_missing_and_extra_tensors():
    tensors = numpy_state()
    del tensors["fc.bias"]
    assert "lacks fc.bias" in rejected(file_of(tensors))
    tensors = numpy_state()
    tensors["EVIL<script>alert(1)</script>"] = np.zeros(3, "<f4")
    reason = rejected(file_of(tensors))
    assert "1 tensor an Encoder does not have" in reason and "EVIL" not in reason


def test_another_architecture_is_refused():
    blob = safetensors.torch.save(torch.nn.Linear(40, 64).state_dict())
    reason = rejected(blob)
    assert "not a small dlgrade.compete.arch Encoder" in reason and "conv1.weight" in reason


@pytest.mark.parametrize("dtype", [torch.float16, torch.float64, torch.bfloat16, torch.int32])
def test_wrong_dtype_is_named(dtype):
    blob = safetensors.torch.save({k: v.to(dtype) for k, v in state().items()})
    short = {torch.float16: "F16", torch.float64: "F64", torch.bfloat16: "BF16"}
    reason = rejected(blob)
    assert "float32 (F32)" in reason and short.get(dtype, "I32") in reason


def test_unknown_dtype_text_is_not_echoed():
    tensors = numpy_state()
    blob = file_of(tensors, dtype="<img src=x>")
    reason = rejected(blob)
    assert "an unknown dtype" in reason and "<img" not in reason


def test_wrong_shape_is_named():
    tensors = numpy_state()
    tensors["fc.weight"] = np.zeros((64, 321), "<f4")
    reason = rejected(file_of(tensors))
    assert "fc.weight" in reason and "(64, 321)" in reason and "(64, 320)" in reason


def lying(edit) -> bytes:
    tensors = numpy_state()
    blob = file_of(tensors)
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    data = blob[8 + n :]
    data = edit(header, data)
    return raw_file(header, data)


def test_lying_offsets_are_refused():
    def overlap(h, d):
        h["conv1.bias"]["data_offsets"] = list(h["conv1.weight"]["data_offsets"][:1]) + [
            h["conv1.weight"]["data_offsets"][0] + 64
        ]
        return d

    def shape_mismatch(h, d):
        h["fc.bias"]["data_offsets"][1] += 4
        return d + b"\0" * 4

    def trailing(h, d):
        return d + b"\0" * 16

    def short(h, d):
        return d[:-4]

    def negative(h, d):
        h["fc.bias"]["data_offsets"] = [-4, 0]
        return d

    def floats(h, d):
        h["fc.bias"]["shape"] = [64.0]
        return d

    assert "lying header" in rejected(lying(overlap))
    assert "lying header" in rejected(lying(shape_mismatch))
    assert "lying header" in rejected(lying(trailing))
    assert "lying header" in rejected(lying(short))
    assert "malformed data_offsets" in rejected(lying(negative))
    assert "malformed shape" in rejected(lying(floats))


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(value):
    tensors = numpy_state()
    tensors["conv2.weight"].flat[7] = value
    assert "conv2.weight holds NaN or infinite values" in rejected(file_of(tensors))


def test_absurd_weights_are_refused():
    tensors = numpy_state()
    tensors["fc.weight"][:] = 3e38
    assert "fc.weight holds values beyond" in rejected(file_of(tensors))


# -- bad metadata -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "meta, words",
    [
        ("{not json", "not valid JSON"),
        ('{"size": "small", "hyperparams": {"lr": NaN}}', "not valid JSON"),
        ('{"size": "small", "hyperparams": {"lr": 1e999}}', "not finite"),
        ('{"size": "small", "size": "large"}', "repeats a key"),
        ("[1, 2]", "must be a JSON object"),
        ({"size": "huge"}, "one of small, medium, large"),
        ({"size": 3}, "one of small, medium, large"),
        ({}, "one of small, medium, large"),
        ({"size": "small", "extra": 1, "more": 2}, "2 keys besides size and hyperparams"),
        ({"size": "small", "hyperparams": [1]}, "must be a JSON object"),
        ({"size": "small", "hyperparams": {"a": "x" * 201}}, "longer than 200"),
        ({"size": "small", "hyperparams": {"a": "line\nbreak"}}, "control characters"),
        ({"size": "small", "hyperparams": {"bad key!": 1}}, "a key of the metadata"),
        ({"size": "small", "hyperparams": {"lr": float("nan")}}, "not finite"),
        ({"size": "small", "hyperparams": {"n": 10**20}}, "beyond"),
        ({"size": "small", "hyperparams": {"o": object()}}, "not plain JSON"),
        ({"size": "small", "hyperparams": {"a": {"b": {"c": {"d": 1}}}}}, "nested"),
        ({"size": "small", "hyperparams": {"a": list(range(300))}}, "more than 256"),
        (b"\xff" * 10, "not valid JSON"),
        ("x" * (MAX_META_BYTES + 1), f"at most {MAX_META_BYTES}"),
    ],
)
def test_bad_metadata(meta, words):
    blob = save_encoder(arch.build_encoder("small"))
    assert words in rejected(blob, meta)


def test_wrong_types_are_refused():
    assert "bytes of a safetensors file" in rejected("not bytes")  # type: ignore[arg-type]
    assert "bytes of a safetensors file" in rejected(None)  # type: ignore[arg-type]


# -- anything at all: Rejected or accepted, never another exception -------------------------------

GOOD = save_encoder(arch.build_encoder("small"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.binary(max_size=8)), max_size=4),
    end=st.integers(0, len(GOOD)),
)
def test_mutated_files_are_rejected_or_accepted(cuts, end):
    blob = bytearray(GOOD)
    for at, data in cuts:
        blob[at : at + len(data)] = data
    if end % 3 == 0:
        blob = blob[: max(end, 1)]
    try:
        checked = check_submission(bytes(blob), META)
    except Rejected as exc:
        assert exc.reason
    else:
        assert checked.size == "small"


@settings(max_examples=100, deadline=None)
@given(
    header=st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=12), c),
        max_leaves=20,
    )
)
def test_arbitrary_json_headers_are_rejected(header):
    text = json.dumps(header).encode()
    with pytest.raises(Rejected):
        check_submission(struct.pack("<Q", len(text)) + text, META)
