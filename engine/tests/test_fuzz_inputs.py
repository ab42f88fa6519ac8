"""Fuzzing the engine's input readers with hypothesis (issue 12; docs/BAD-INPUT.md): run configs, synonym banks,
selection files and the JSON-RPC framing layer, in-process. Whatever the bytes, only the documented errors come
out (ConfigInvalid, DatasetError, FrameError / JsonInputError), never another exception.

The "wsss-ci" profile bounds the examples and is derandomised, so CI runs are fast (~10 s) and repeatable;
`HYPOTHESIS_PROFILE=wsss-deep` runs many more locally.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsss_engine.errors import ConfigInvalid, DatasetError
from wsss_engine.json_input import JsonInputError, parse_json_bytes
from wsss_engine.rpc.framing import FrameError, FrameReader, encode_frame

settings.register_profile(
    "wsss-ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "wsss-deep",
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "wsss-ci"))

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["a\x00b", "\ud800", "../../etc", "~", "x" * 300, "\u00e9\u4e2d", ""])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
FINITE_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"])

CONFIG = {
    "name": "fuzz",
    "seed": 0,
    "device": "cpu",
    "synthetic": True,
    "dataset": {"root": "data", "classes": ["cat", "dog"], "train_list": "train", "image_size": 32},
    "synonym_bank": "bank.json",
    "stages": [
        {"id": "baseline", "type": "baseline_cam", "lr": 0.01, "epochs": 1},
        {"id": "eval", "type": "evaluate", "cams": "baseline"},
    ],
}
TOP_KEYS = st.sampled_from(sorted(CONFIG) + ["clip", "extra"])
STAGE_KEYS = st.sampled_from(["id", "type", "lr", "epochs", "batch_size", "seed", "backbone", "cams", "amp"])


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="wsss-fuzz-") as tmp:
        yield Path(tmp)


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@PROFILE
@given(raw=st.binary(max_size=300))
def test_json_reader_raises_only_json_input_error(raw):
    try:
        parse_json_bytes(raw)
    except JsonInputError:
        pass


@PROFILE
@given(
    top=st.dictionaries(TOP_KEYS, JSON_VALUES, max_size=3),
    stage=st.dictionaries(STAGE_KEYS, JSON_VALUES, max_size=3),
    encoding=ENCODINGS,
    cut=st.none() | st.integers(min_value=0, max_value=400),
)
def test_config_loader_raises_only_config_invalid(folder, top, stage, encoding, cut):
    from wsss_engine.runs.config import load_config

    config = {**CONFIG, **top}
    if isinstance(config.get("stages"), list) and config["stages"] and isinstance(config["stages"][0], dict):
        config["stages"] = [{**config["stages"][0], **stage}, *config["stages"][1:]]
    raw = encode(json.dumps(config, allow_nan=True), encoding)
    path = folder / "config.json"
    path.write_bytes(raw if cut is None else raw[:cut])
    try:
        loaded = load_config(path)
    except ConfigInvalid as exc:
        assert exc.path == str(path) and exc.errors, exc
        return
    assert json.dumps(loaded.config, allow_nan=False)  # what validates is finite JSON


@PROFILE
@given(
    bank=st.dictionaries(
        st.sampled_from(["cat", "dog", "cow", "$schema"]) | st.text(max_size=6),
        JSON_VALUES | st.lists(st.text(max_size=8), max_size=4),
        max_size=4,
    ),
    encoding=ENCODINGS,
    junk=st.binary(max_size=8),
)
def test_bank_loader_raises_only_config_invalid(folder, bank, encoding, junk):
    from wsss_engine.pole.synonym_bank import SynonymBank

    path = folder / "bank.json"
    path.write_bytes(encode(json.dumps(bank, allow_nan=True), encoding) + junk)
    try:
        loaded = SynonymBank.load(path, ["cat", "dog"])
    except ConfigInvalid as exc:
        assert exc.path == str(path), exc
        return
    assert set(loaded.words) == {"cat", "dog"} and all(loaded.words.values())


@PROFILE
@given(selection=JSON_VALUES, encoding=ENCODINGS, pickled=st.booleans())
def test_selection_reader_raises_only_dataset_error(folder, selection, encoding, pickled):
    import pickle
    from wsss_engine.pole.official_stats import official_stats

    path = folder / "selection.bin"
    raw = pickle.dumps(selection, protocol=2) if pickled else encode(json.dumps(selection, allow_nan=True), encoding)
    path.write_bytes(raw)
    try:
        official_stats(path)
    except DatasetError:
        pass


FRAME_PARTS = st.one_of(
    st.binary(max_size=40),
    st.builds(
        lambda n: b"Content-Length: %s\r\n\r\n" % n,
        st.integers(min_value=-10, max_value=10**12).map(lambda n: str(n).encode()) | st.binary(max_size=6),
    ),
    st.builds(encode_frame, FINITE_JSON),
    st.sampled_from([b"\r\n", b"\r\n\r\n", b"Content-Length: 2\r\n", b"{}", b"[" * 5000]),
)


@PROFILE
@given(parts=st.lists(FRAME_PARTS, max_size=8))
def test_frame_reader_never_raises_and_ends(parts):
    data = b"".join(parts)
    reader = FrameReader(io.BytesIO(data), max_message_bytes=10_000)
    for _ in range(len(data) + 2):
        message = reader.read()
        if message is None:
            return
        assert isinstance(message, (FrameError, dict, list, str, int, float, bool)) or message is None
    pytest.fail("the reader did not reach the end of its input")


@PROFILE
@given(
    values=st.lists(FINITE_JSON.filter(lambda v: v is not None), max_size=5),
    junk=st.sampled_from([b"", b"Content-Length: -5\r\n\r\nxyz", b"Content-Length: 99999999999\r\n\r\n{}"]),
)
def test_well_formed_frames_round_trip_even_after_a_bad_one(values, junk):
    reader = FrameReader(io.BytesIO(junk + b"".join(encode_frame(v) for v in values)))
    got = []
    while (message := reader.read()) is not None:
        if not isinstance(message, FrameError):
            got.append(message)
    assert got == values
