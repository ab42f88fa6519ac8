"""RunFolder (atomic JSON, lifecycle, lock), run configs (defaults, paths, plugin types) and frame reading,
in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from wsss_engine.errors import ConfigInvalid, RunFolderError, RunNotFound
from wsss_engine.rpc.framing import FrameError, FrameReader, encode_frame
from wsss_engine.runs.config import load_config
from wsss_engine.runs.run_folder import RunFolder, atomic_write_json

STAGES = [{"id": "base", "type": "baseline_cam"}, {"id": "cams", "type": "infer_cams"}]
OPEN = {"plugged": None}  # a plugin stage type with open params, so these tests do not depend on real stages
PLUGGED = [{"id": "p", "type": "plugged"}]


def make_run(path: Path) -> RunFolder:
    return RunFolder.create(path, name="r", synthetic=False, stages=STAGES, config={"name": "r"}, config_path=None)


def test_run_folder_lifecycle_and_lock(tmp_path):
    run = make_run(tmp_path / "run")
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "created" and record["formatVersion"] == 1 and record["error"] is None
    assert [s["status"] for s in record["stages"]] == ["pending", "pending"]
    assert json.loads((tmp_path / "run" / "config.json").read_text()) == {"name": "r"}
    with pytest.raises(RunFolderError, match="in use by this engine"):
        RunFolder.open(tmp_path / "run")
    run.set_stage("base", "completed", summary={"loss": 0.5})
    run.set_status("cancelled")
    run.close()

    again = RunFolder.open(tmp_path / "run")
    again.reconcile_stages([{"id": "base", "type": "baseline_cam"}, {"id": "cams", "type": "evaluate"}])
    assert [(s["type"], s["status"]) for s in again.record["stages"]] == [
        ("baseline_cam", "completed"),
        ("evaluate", "pending"),
    ]
    again.close()
    with pytest.raises(RunFolderError, match="already holds a run"):
        make_run(tmp_path / "run")


def test_open_without_run_json_is_run_not_found(tmp_path):
    with pytest.raises(RunNotFound, match="run.json is missing"):
        RunFolder.open(tmp_path)


def test_atomic_write_leaves_no_temp_files_and_refuses_nan(tmp_path):
    atomic_write_json(tmp_path / "a.json", {"x": [1, 2]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": [1, 2]}
    with pytest.raises(ValueError):
        atomic_write_json(tmp_path / "b.json", {"x": float("nan")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_config_defaults_and_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "run.json"
    path.write_text(
        json.dumps({"name": "n", "dataset": {"root": "../data"}, "synonym_bank": "bank.json", "stages": PLUGGED})
    )
    config = load_config(path, OPEN).config
    assert config["seed"] == 0 and config["device"] == "auto" and config["synthetic"] is False
    assert config["dataset"] == {
        "root": str(tmp_path / "data"),
        "classes": "voc",
        "train_list": "train_aug",
        "eval_list": "train",
        "image_size": 512,
    }
    assert config["clip"]["model"] == "ViT-B-32" and config["clip"]["checkpoint"] is None
    assert config["synonym_bank"] == str(tmp_path / "cfg" / "bank.json")


def test_config_errors_carry_json_pointers(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "", "seed": -1, "extra": 1, "stages": [{"id": "9x", "type": "plugged"}]}))
    with pytest.raises(ConfigInvalid) as info:
        load_config(path, OPEN)
    paths = [e["path"] for e in info.value.errors]
    assert paths == ["", "/name", "/seed", "/stages/0/id"]  # "" = the root object (unknown key "extra")
    assert info.value.path == str(path)


def test_config_json_syntax_error_names_line_and_column(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"name": "x",\n  "stages": [,]}')
    with pytest.raises(ConfigInvalid, match="line 2, column 14"):
        load_config(path)


def test_plugin_stage_types_extend_the_schema(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "x", "stages": [{"id": "p", "type": "plugged", "size": 3}]}))
    with pytest.raises(ConfigInvalid):
        load_config(path)
    schema = {"type": "object", "properties": {"size": {"type": "integer", "default": 1}, "k": {"default": 2}}}
    config = load_config(path, {"plugged": schema}).config
    assert config["stages"][0] == {"id": "p", "type": "plugged", "size": 3, "k": 2}


@pytest.mark.parametrize(
    "data, expected",
    [
        (encode_frame({"a": 1}), {"a": 1}),
        (b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n" + encode_frame([1]), [1]),
        (b"\r\n" + encode_frame("x"), "x"),
    ],
)
def test_frames_are_read(data, expected):
    assert FrameReader(io.BytesIO(data)).read() == expected


def test_bad_frames_are_frame_errors_and_eof_is_none():
    reader = FrameReader(io.BytesIO(b"Content-Length: x\r\n\r\nContent-Length: 3\r\n\r\n{x}" + encode_frame(1)))
    assert isinstance(reader.read(), FrameError)
    assert isinstance(reader.read(), FrameError)
    assert reader.read() == 1
    assert reader.read() is None
    assert FrameReader(io.BytesIO(b"Content-Length: 10\r\n\r\n{}")).read() is None
