"""The JSON-RPC server over a real subprocess: handshake, errors, runs with progress, cancel, resume, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine_client import EngineClient, write_config
from wsss_engine.errors import ERROR_CODES
from wsss_engine.rpc.protocol import METHODS, PROTOCOL_VERSION


@pytest.fixture(scope="module")
def engine():
    client = EngineClient()
    yield client
    client.close()


def count_stage(**params):
    return {"id": "count", "type": "count", **params}


def test_initialize_reports_versions_and_devices(engine):
    result = engine.result("initialize", {"clientName": "pytest", "clientVersion": "0"})
    assert set(result) == set(METHODS["initialize"].result)
    assert result["protocolVersion"] == PROTOCOL_VERSION
    assert result["torchVersion"] == torch.__version__
    assert result["engineVersion"] == "0.1.0"
    cpu = result["devices"][0]
    assert cpu["id"] == "cpu" and cpu["kind"] == "cpu" and cpu["memoryBytes"] > 0


def test_ping_returns_time(engine):
    assert engine.result("ping")["time"] > 1.7e9


def test_unknown_method_is_32601(engine):
    error = engine.request("no/such/method", {})["error"]
    assert error["code"] == -32601 and "no/such/method" in error["message"]


def test_protocol_method_of_a_request_module_is_served(engine):
    # rpc/synonym_scoring.py (REQUEST_MODULES); without it: -32601, test_synonym_scoring.py
    error = engine.request("synonyms/score", {"runDir": "/x", "imageIds": []})["error"]
    assert error["code"] == ERROR_CODES["RunNotFound"] and "/x" in error["message"]


@pytest.mark.parametrize(
    "params, words",
    [
        ({"configPath": "c.json"}, "missing required param 'runDir'"),
        ({"runDir": 3}, "'runDir' must be a string"),
        ({"runDir": "r", "bogus": 1}, "unknown param(s) bogus"),
        (["c.json", "r"], "params must be an object"),
    ],
)
def test_invalid_params_is_32602(engine, params, words):
    error = engine.request("run/start", params)["error"]
    assert error["code"] == -32602
    assert words in error["message"]


def test_malformed_json_is_32700_and_server_lives_on(engine):
    body = b'{"jsonrpc": "2.0", "id": 99, "method": "ping"'
    engine.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    error = engine.wait_for(lambda: engine.unmatched and engine.unmatched.pop(0), 10, "parse error")["error"]
    assert error["code"] == -32700
    assert engine.result("ping")["time"] > 0


def test_frame_without_content_length_is_32700(engine):
    engine.send_raw(b"hello engine\r\n\r\n")
    error = engine.wait_for(lambda: engine.unmatched and engine.unmatched.pop(0), 10, "parse error")["error"]
    assert error["code"] == -32700 and "header" in error["message"]
    assert engine.result("ping")["time"] > 0


def test_invalid_requests_are_32600(engine):
    engine.send({"id": 41, "method": "ping"})  # no "jsonrpc": "2.0"
    assert engine.response(41)["error"]["code"] == -32600
    engine.send([{"jsonrpc": "2.0", "id": 42, "method": "ping"}])  # batches are not supported
    error = engine.wait_for(lambda: engine.unmatched and engine.unmatched.pop(0), 10, "invalid request")["error"]
    assert error["code"] == -32600 and "batch" in error["message"]


def test_cancel_request_answers_32800(engine):
    msg_id = engine.request_async("test/wait", {"seconds": 60})
    engine.notify("$/cancelRequest", {"id": msg_id})
    error = engine.response(msg_id, timeout=10)["error"]
    assert error["code"] == ERROR_CODES["Cancelled"] == -32800


def test_config_validate_reports_json_pointers(engine, tmp_path):
    bad = write_config(tmp_path, [count_stage(steps=0), {"id": "count", "type": "nope"}], device="gpu")
    result = engine.result("config/validate", {"configPath": str(bad)})
    assert result["valid"] is False
    paths = {e["path"] for e in result["errors"]}
    assert {"/device", "/stages/0/steps", "/stages/1/id", "/stages/1/type"} <= paths
    good = write_config(tmp_path, [count_stage()])
    assert engine.result("config/validate", {"configPath": str(good)}) == {"valid": True, "errors": []}


def test_run_start_with_invalid_config_is_config_invalid(engine, tmp_path):
    config = write_config(tmp_path, [{"id": "a", "type": "count", "steps": "many"}])
    error = engine.request("run/start", {"configPath": str(config), "runDir": str(tmp_path / "run"), "resume": False})[
        "error"
    ]
    assert error["code"] == -32001 and error["data"]["kind"] == "ConfigInvalid"
    assert error["data"]["errors"][0]["path"] == "/stages/0/steps"
    assert not (tmp_path / "run" / "run.json").exists()


def test_unwritable_run_folder_is_run_folder_error(engine, tmp_path):
    config = write_config(tmp_path, [count_stage()])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    error = engine.request("run/start", {"configPath": str(config), "runDir": str(blocker / "run"), "resume": False})[
        "error"
    ]
    assert error["code"] == -32002 and error["data"]["kind"] == "RunFolderError"
    assert str(blocker / "run") in error["message"] and error["data"]["hint"]


def test_run_completes_with_progress_metrics_and_files(engine, tmp_path):
    config = write_config(tmp_path, [count_stage(steps=12, sleep_s=0.05)])
    run_dir = tmp_path / "run"
    started = engine.result("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": False})
    run_id = started["runId"]
    assert Path(started["runDir"]) == run_dir
    assert started["stages"] == [{"id": "count", "type": "count"}] and started["name"]  # no run.json read-back
    assert engine.finished(run_id) == {"runId": run_id, "status": "completed", "error": None, "removedFromQueue": False}
    progress = engine.notes("run/progress", run_id)
    assert 2 <= len(progress) < 12, "progress is throttled to ~4 Hz"
    assert progress[-1]["done"] == progress[-1]["total"] == 12
    assert engine.notes("run/metrics", run_id) == [], "metrics have one channel: metrics.jsonl"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and record["id"] == run_id and record["synthetic"] is True
    stage = record["stages"][0]
    assert stage["status"] == "completed" and stage["summary"]["steps"] == 12 and stage["finished"]
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == list(range(12)) and lines[-1]["stage"] == "count" and "loss" in lines[-1]
    assert any((run_dir / "events").iterdir()), "TensorBoard events written"
    resolved = json.loads((run_dir / "config.json").read_text())
    assert resolved["stages"][0]["checkpoint_every"] == 5 and resolved["clip"]["precision"] == "fp16"
    assert (run_dir / "checkpoints" / "count.pt").is_file()
    listed = {r["runId"]: r for r in engine.result("run/list")["runs"]}[run_id]
    assert listed["runDir"] == str(run_dir) and listed["status"] == "completed" and listed["queuedBehind"] is None
    assert listed["progress"]["done"] == 12 and listed["stages"] == started["stages"]
    assert "stray print from the counting stage" in engine.stderr_text()
    assert "stray bytes on fd 1" in engine.stderr_text()


def test_cancel_mid_run_then_resume_matches_an_uninterrupted_run(engine, tmp_path):
    stage = count_stage(steps=30, sleep_s=0.04)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight = engine.result(
        "run/start",
        {
            "configPath": str(write_config(tmp_path / "a", [count_stage(steps=30)])),
            "runDir": str(tmp_path / "straight"),
            "resume": False,
        },
    )["runId"]
    config = write_config(tmp_path / "b", [stage])
    run_dir = tmp_path / "run"
    run_id = engine.result("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": False})["runId"]
    engine.wait_for(lambda: any(p["done"] >= 4 for p in engine.notes("run/progress", run_id)), 20, "progress")
    again = engine.request("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": True})
    assert again["error"]["code"] == -32002 and "in use" in again["error"]["message"], "the lock holds"
    assert engine.result("run/cancel", {"runId": run_id}) == {"cancelled": True}
    assert engine.finished(run_id)["status"] == "cancelled"
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "cancelled" and record["stages"][0]["status"] == "cancelled"
    saved = torch.load(run_dir / "checkpoints" / "count.pt", weights_only=True)
    assert 4 <= saved["step"] < 30
    assert engine.result("run/cancel", {"runId": run_id}) == {"cancelled": False}

    assert engine.finished(straight)["status"] == "completed"
    engine.notifications.clear()
    resumed = engine.result("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": True})
    assert resumed["runId"] == run_id
    assert engine.finished(run_id)["status"] == "completed"
    summary = json.loads((run_dir / "run.json").read_text())["stages"][0]["summary"]
    assert summary["resumed_from"] == saved["step"]
    reference = json.loads((tmp_path / "straight" / "run.json").read_text())["stages"][0]["summary"]
    assert summary["weights"] == reference["weights"], "resume continues exactly"


def test_stage_crash_fails_the_run_with_its_error(engine, tmp_path):
    config = write_config(tmp_path, [count_stage(steps=10, fail_at_step=3), {"id": "later", "type": "count"}])
    run_dir = tmp_path / "run"
    run_id = engine.result("run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": False})["runId"]
    finished = engine.finished(run_id)
    assert finished["status"] == "failed"
    assert finished["error"]["kind"] == "StageFailed" and "deliberate failure at step 3" in finished["error"]["message"]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and record["error"] == finished["error"]
    assert [s["status"] for s in record["stages"]] == ["failed", "pending"]
    assert "Traceback" in (run_dir / "engine.log").read_text()


def test_out_of_memory_says_what_to_lower(engine, tmp_path):
    config = write_config(tmp_path, [count_stage(steps=5, oom_at_step=1)])
    run_id = engine.result("run/start", {"configPath": str(config), "runDir": str(tmp_path / "run"), "resume": False})[
        "runId"
    ]
    error = engine.finished(run_id)["error"]
    assert error["kind"] == "OutOfMemory" and "batch_size" in error["hint"] and "image_size" in error["hint"]


def test_cancel_of_unknown_run_is_run_not_found(engine):
    error = engine.request("run/cancel", {"runId": "nope"})["error"]
    assert error["code"] == -32003 and error["data"]["kind"] == "RunNotFound"
