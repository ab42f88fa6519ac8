"""Engine process lifecycle: shutdown stops runs (checkpoint saved) and `exit` ends with 0; SIGTERM stops runs
too; stdin EOF ends the engine; `exit` without shutdown ends with 1."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from engine_client import EngineClient, write_config

NO_PLUGINS = {"WSSS_ENGINE_PLUGINS": ""}  # nothing imports torch: the engine starts in a blink


def start_long_run(engine: EngineClient, tmp_path: Path) -> tuple[str, Path]:
    """A 400-step counting run, started and past its first progress notification."""
    config = write_config(tmp_path, [{"id": "count", "type": "count", "steps": 400, "sleep_s": 0.02}])
    run_dir = tmp_path / "run"
    run_id = engine.result(
        "run/start", {"configPath": str(config), "runDir": str(run_dir), "resume": False}, timeout=60
    )["runId"]
    engine.wait_for(lambda: engine.notes("run/progress", run_id), 30, "first progress")
    return run_id, run_dir


def assert_cancelled_with_checkpoint(run_dir: Path) -> None:
    assert json.loads((run_dir / "run.json").read_text())["status"] == "cancelled"
    assert 0 < torch.load(run_dir / "checkpoints" / "count.pt", weights_only=True)["step"] < 400


def test_shutdown_cancels_the_running_run_then_exit_returns_0(tmp_path):
    engine = EngineClient()
    try:
        run_id, run_dir = start_long_run(engine, tmp_path)
        assert engine.result("shutdown", {}, timeout=60) == {}
        assert engine.notes("run/finished", run_id)[0]["status"] == "cancelled", "finished before shutdown answers"
        assert_cancelled_with_checkpoint(run_dir)
        engine.notify("exit")
        assert engine.proc.wait(30) == 0
    finally:
        engine.close()


def test_sigterm_stops_the_run_with_a_checkpoint(tmp_path):
    engine = EngineClient()
    try:
        _, run_dir = start_long_run(engine, tmp_path)
        engine.proc.terminate()
        assert engine.proc.wait(60) == 128 + 15
        assert_cancelled_with_checkpoint(run_dir)
    finally:
        engine.close()


def test_stdin_eof_ends_the_engine():
    engine = EngineClient(NO_PLUGINS)
    try:
        assert engine.result("ping", timeout=60)["time"] > 0
        engine.proc.stdin.close()
        assert engine.proc.wait(30) == 0
    finally:
        engine.close()


def test_exit_without_shutdown_returns_1():
    engine = EngineClient(NO_PLUGINS)
    try:
        engine.notify("exit")
        assert engine.proc.wait(60) == 1
    finally:
        engine.close()
