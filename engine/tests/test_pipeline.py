"""The pipeline in-process: stage order, resume skips completed stages, StageContext helpers, progress
throttling, metrics files, device resolution."""

from __future__ import annotations

import json
import threading

import pytest
import torch

from engine_client import write_config
from wsss_engine.device import resolve_device
from wsss_engine.errors import ConfigInvalid, DatasetError
from wsss_engine.pipeline import ProgressThrottle, execute_run, prepare_run, register_stage
from wsss_engine.runs.metrics import MetricsLog, read_metrics

CALLS: list[str] = []


@register_stage("pipeline_test_source", params_schema={"type": "object", "properties": {"value": {"default": 7}}})
def source_stage(ctx, params):
    CALLS.append(ctx.stage_id)
    (ctx.stage_dir() / "scratch.txt").write_text("x")
    return {
        "value": params["value"],
        "data": str(ctx.resolve_path("data")),
        "synthetic": ctx.synthetic,
        "tensor": torch.tensor(1.5),
    }


@register_stage(
    "pipeline_test_sink",
    params_schema={
        "type": "object",
        "properties": {"source": {"type": "string"}, "fail": {"type": "boolean", "default": False}},
    },
)
def sink_stage(ctx, params):
    CALLS.append(ctx.stage_id)
    if params["fail"]:
        raise DatasetError("image 7 is corrupt", "replace it", "/data/7.jpg")
    return {"got": ctx.stage_summary(params["source"])["value"] * 2}


def start(tmp_path, stages, resume=False, config=None):
    config = config or write_config(tmp_path, stages)
    run, loaded = prepare_run(config, tmp_path / "run", resume)
    return execute_run(run, loaded, threading.Event())


def test_resume_skips_completed_stages_and_reruns_the_failed_one(tmp_path):
    CALLS.clear()
    stages = [
        {"id": "a", "type": "pipeline_test_source"},
        {"id": "b", "type": "pipeline_test_sink", "source": "a", "fail": True},
    ]
    status, error = start(tmp_path, stages)
    assert status == "failed" and error == {
        "kind": "DatasetError",
        "message": "image 7 is corrupt",
        "hint": "replace it",
        "path": "/data/7.jpg",
    }
    assert CALLS == ["a", "b"]
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert [s["status"] for s in record["stages"]] == ["completed", "failed"]
    assert record["stages"][0]["summary"] == {
        "value": 7,
        "data": str(tmp_path / "data"),
        "synthetic": True,
        "tensor": 1.5,
    }
    assert (tmp_path / "run" / "stages" / "a" / "scratch.txt").is_file()

    (tmp_path / "fixed").mkdir()
    fixed = write_config(tmp_path / "fixed", [stages[0], {**stages[1], "fail": False}])
    assert start(tmp_path, None, resume=True, config=fixed) == ("completed", None)
    assert CALLS == ["a", "b", "b"], "stage a was not run again"
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "completed" and record["stages"][1]["summary"] == {"got": 14}


def test_resume_with_changed_parameters_of_a_completed_stage_is_refused_and_touches_nothing(tmp_path):
    """A completed stage whose parameters the resumed config changes would keep its old result, and so would the
    stages that read it: the resume is refused with both named (runs/stage_changes.py); an unchanged config
    written elsewhere (other paths, same stages, only a description edited) resumes."""
    CALLS.clear()
    stages = [
        {"id": "a", "type": "pipeline_test_source", "value": 7},
        {"id": "b", "type": "pipeline_test_sink", "source": "a"},
        {"id": "c", "type": "pipeline_test_source"},
    ]
    assert start(tmp_path, stages) == ("completed", None)
    run_json = (tmp_path / "run" / "run.json").read_text()
    config_json = (tmp_path / "run" / "config.json").read_text()

    (tmp_path / "edited").mkdir()
    edited = write_config(tmp_path / "edited", [{**stages[0], "value": 8}, *stages[1:]])
    with pytest.raises(ConfigInvalid) as err:
        start(tmp_path, None, resume=True, config=edited)
    message = str(err.value)
    assert "a (its parameters changed: value 7 -> 8)" in message
    assert "b (it reads a, which changed)" in message
    assert "c (" not in message, "c reads nothing that changed"
    assert "start a new run folder" in err.value.hint
    assert (tmp_path / "run" / "run.json").read_text() == run_json, "a refused resume changes nothing"
    assert (tmp_path / "run" / "config.json").read_text() == config_json
    assert CALLS == ["a", "b", "c"]

    (tmp_path / "same").mkdir()
    same = write_config(tmp_path / "same", [{**stages[0], "description": "a new note"}, *stages[1:]])
    assert start(tmp_path, None, resume=True, config=same) == ("completed", None)
    run, loaded = prepare_run(None, tmp_path / "run", True)  # its own config.json
    assert execute_run(run, loaded, threading.Event()) == ("completed", None)
    assert CALLS == ["a", "b", "c"], "nothing ran again"


def test_a_stage_that_needs_a_later_stage_fails_clearly(tmp_path):
    stages = [{"id": "b", "type": "pipeline_test_sink", "source": "a"}, {"id": "a", "type": "pipeline_test_source"}]
    status, error = start(tmp_path, stages)
    assert status == "failed" and "needs stage 'a', which is pending" in error["message"]


def test_progress_throttle_keeps_the_last_update():
    sent = []
    throttle = ProgressThrottle(lambda d, t, m: sent.append(d), interval=60)
    for done in range(1, 5):
        throttle.update(done, 10, "")
    assert sent == [1]
    throttle.flush()
    assert sent == [1, 4]
    throttle.update(10, 10, "")
    assert sent == [1, 4, 10], "the final update always goes out"
    throttle.flush()
    assert sent == [1, 4, 10]


def test_metrics_log_writes_jsonl_tensorboard_and_calls_back(tmp_path):
    seen = []
    log = MetricsLog(tmp_path, on_metrics=lambda stage, step, values: seen.append((stage, step, values)))
    log.log("s", 3, {"loss": torch.tensor(0.25), "bad": float("nan")})
    with pytest.raises(TypeError, match="metric 'name' must be a number"):
        log.log("s", 4, {"name": "x"})
    log.close()
    (line,) = read_metrics(tmp_path / "metrics.jsonl")
    assert line["stage"] == "s" and line["step"] == 3 and line["loss"] == 0.25 and line["bad"] is None
    assert seen == [("s", 3, {"loss": 0.25, "bad": None})]
    assert any(p.name.startswith("events.out.tfevents") for p in (tmp_path / "events").iterdir())


def test_device_resolution():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if torch.cuda.is_available():
        with pytest.raises(ConfigInvalid, match="CUDA device"):
            resolve_device(f"cuda:{torch.cuda.device_count()}")
    else:
        with pytest.raises(ConfigInvalid, match="requested but") as info:
            resolve_device("cuda")
        assert "auto" in info.value.hint and info.value.errors[0]["path"] == "/device"
