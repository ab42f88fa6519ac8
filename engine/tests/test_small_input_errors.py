"""Issue 12 item 10: NUL bytes in request params, a damaged run config in synonyms/score, DatasetError paths for
a bad dataset root, bad mask values named as the mask, a second Ctrl-C inside a stage, and cancelling a queued
run (docs/BAD-INPUT.md). Real engine process, real pipeline, real files."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from PIL import Image

from engine_client import EngineClient, write_config as write_count_config
from training_world import add_masks, make_voc_root, run_pipeline, write_config
from wsss_engine.errors import DatasetError


@pytest.fixture(scope="module")
def engine():
    client = EngineClient()
    yield client
    client.close()


@pytest.mark.parametrize(
    "method, params",
    [
        ("synonyms/score", {"runDir": "/tmp/run\x00x", "imageIds": ["a"]}),
        ("synonyms/score", {"runDir": "/tmp", "imageIds": ["a\x00"]}),
        ("run/start", {"configPath": "/tmp/c\x00.json", "runDir": "/tmp/r", "resume": False}),
        ("config/validate", {"configPath": "\x00"}),
    ],
)
def test_nul_in_a_param_is_invalid_params(engine, method, params):
    error = engine.request(method, params)["error"]
    assert error["code"] == -32602 and "NUL" in error["message"], error


@pytest.mark.parametrize("damage", [b'{"name": "caf\xe9"}', b'{"stages": [', b"\x00\x01binary"])
def test_damaged_run_config_in_synonyms_score_is_a_run_folder_error(engine, tmp_path, damage):
    (tmp_path / "config.json").write_bytes(damage)
    error = engine.request("synonyms/score", {"runDir": str(tmp_path), "imageIds": ["a"]})["error"]
    assert error["code"] == -32002 and error["data"]["kind"] == "RunFolderError", error
    assert error["data"]["path"] == str(tmp_path / "config.json")


def test_dataset_root_errors_carry_the_path(tmp_path):
    from wsss_engine.data.layout import resolve_root

    with pytest.raises(DatasetError) as info:
        resolve_root(tmp_path / "missing")
    assert info.value.path == str(tmp_path / "missing")
    with pytest.raises(DatasetError) as info:
        resolve_root(tmp_path)
    assert info.value.path == str(tmp_path) and "JPEGImages" in info.value.message


def test_bad_mask_values_name_the_mask(tmp_path):
    from wsss_engine.data.cam_files import save_cam

    root = add_masks(make_voc_root(tmp_path / "data", n=4))
    bad = root / "SegmentationClass" / "img_002.png"
    mask = np.asarray(Image.open(bad)).copy()
    mask[0, 0] = 50  # not a class id (0..3) and not 255
    Image.fromarray(mask).save(bad)
    cams = tmp_path / "cams"
    for i in range(4):
        save_cam(cams / f"img_{i:03d}.npy", np.array([0]), np.ones((1, 8, 8)), np.ones((1, 32, 32)))
    config = write_config(tmp_path / "c.json", root, None, [{"id": "eval", "type": "evaluate", "cams": str(cams)}])
    status, error = run_pipeline(config, tmp_path / "run")
    assert status == "failed" and error["kind"] == "DatasetError"
    assert error["path"] == str(bad) and str(bad) in error["message"] and "50" in error["message"], error


def test_second_ctrl_c_inside_a_stage_leaves_it_cancelled(tmp_path):
    from wsss_engine.pipeline import RunEvents, execute_run, prepare_run, register_stage

    @register_stage("interrupted_test_stage", params_schema={"type": "object"})
    def interrupted(ctx, params):
        raise KeyboardInterrupt  # what a second Ctrl-C raises wherever the stage is

    root = make_voc_root(tmp_path / "data", n=4)
    config = write_config(tmp_path / "c.json", root, None, [{"id": "k", "type": "interrupted_test_stage"}])
    run, loaded = prepare_run(config, tmp_path / "run", False)
    with pytest.raises(KeyboardInterrupt):
        execute_run(run, loaded, threading.Event(), RunEvents())
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "cancelled" and record["stages"][0]["status"] == "cancelled"


def test_cancelling_a_queued_run_marks_it_cancelled_at_once(engine, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_count_config(tmp_path / "a", [{"id": "count", "type": "count", "steps": 30, "sleep_s": 0.1}])
    second = write_count_config(tmp_path / "b", [{"id": "count", "type": "count", "steps": 3}])
    run_a = engine.result("run/start", {"configPath": str(first), "runDir": str(tmp_path / "run-a"), "resume": False})
    run_b = engine.result("run/start", {"configPath": str(second), "runDir": str(tmp_path / "run-b"), "resume": False})
    assert engine.result("run/cancel", {"runId": run_b["runId"]})["cancelled"] is True
    finished_b = engine.finished(run_b["runId"], timeout=2)  # not after run A's 3 s
    assert finished_b["status"] == "cancelled"
    assert not engine.notes("run/finished", run_a["runId"]), "run A is still going"
    record = json.loads((tmp_path / "run-b" / "run.json").read_text())
    assert record["status"] == "cancelled" and record["stages"][0]["status"] == "pending"
    listed = {r["runId"]: r["status"] for r in engine.result("run/list")["runs"]}
    assert listed[run_b["runId"]] == "cancelled"
    # its folder is unlocked at once: it can be resumed (queued behind A again), and A is undisturbed
    resumed = engine.result("run/start", {"configPath": str(second), "runDir": str(tmp_path / "run-b"), "resume": True})
    assert engine.finished(run_a["runId"], 30)["status"] == "completed"
    assert engine.wait_for(
        lambda: [n for n in engine.notes("run/finished", resumed["runId"]) if n["status"] == "completed"],
        30,
        "resumed run B",
    )


def test_damaged_run_record_on_resume_is_a_run_folder_error(tmp_path):
    from wsss_engine.errors import RunFolderError
    from wsss_engine.runs.run_folder import RunFolder

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_bytes('{"name": "caf\u00e9"}'.encode("utf-16"))
    with pytest.raises(RunFolderError) as info:
        RunFolder.open(tmp_path / "run")
    assert info.value.path == str(tmp_path / "run" / "run.json") and "UTF-16" in info.value.message
