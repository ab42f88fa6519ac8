"""Run folders are safe to start and resume (issue 12 items 6 and 8): a new run never overwrites a user's folder,
a crash's temp files are removed when the run is reopened, and a resumed stage's metrics have each step once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from engine_client import PLUGIN_DIR, EngineClient, engine_env, write_config
from wsss_engine import cli
from wsss_engine.errors import RunFolderError
from wsss_engine.runs.metrics import MetricsLog, read_metrics
from wsss_engine.runs.run_folder import RunFolder
from wsss_engine.runs.temp_files import is_temp_name, temp_name

STAGES = [{"id": "c", "type": "count"}]


@pytest.fixture(autouse=True)
def counting_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("WSSS_ENGINE_PLUGINS", "counting_stage")


def users_folder(tmp_path):
    """A folder of someone's own files, one of them named like a run's."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "config.json").write_text('{"mine": true}')
    (folder / "metrics.jsonl").write_text("my notes\n")
    return folder


def test_create_refuses_a_non_empty_folder_that_is_not_a_run(tmp_path):
    folder = users_folder(tmp_path)
    with pytest.raises(RunFolderError, match="is not empty and is not a run folder") as info:
        RunFolder.create(folder, name="r", synthetic=False, stages=STAGES, config={"x": 1}, config_path=None)
    assert "config.json" in info.value.message and "new or empty" in info.value.hint
    assert info.value.path == str(folder)
    assert (folder / "config.json").read_text() == '{"mine": true}'
    assert sorted(os.listdir(folder)) == ["config.json", "metrics.jsonl"]  # not even a lock file was left


def test_create_accepts_an_empty_folder_or_one_with_only_a_lock(tmp_path):
    (tmp_path / "empty").mkdir()
    RunFolder.create(tmp_path / "empty", name="r", synthetic=False, stages=STAGES, config={}, config_path=None).close()
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / ".lock").write_text("pid 1")
    RunFolder.create(tmp_path / "locked", name="r", synthetic=False, stages=STAGES, config={}, config_path=None).close()
    assert (tmp_path / "locked" / "run.json").is_file()


def test_cli_run_into_a_users_folder_refuses_and_changes_nothing(tmp_path, capsys):
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 2}])
    folder = users_folder(tmp_path)
    assert cli.main(["run", "--config", str(config), "--run-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "is not empty and is not a run folder" in err and "hint: choose a new or empty run folder" in err
    assert (folder / "config.json").read_text() == '{"mine": true}'
    assert (folder / "metrics.jsonl").read_text() == "my notes\n"


def test_rpc_run_start_into_a_users_folder_is_a_run_folder_error(tmp_path):
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 2}])
    folder = users_folder(tmp_path)
    engine = EngineClient()
    try:
        error = engine.request(
            "run/start", {"configPath": str(config), "runDir": str(folder), "resume": False}, timeout=60
        )["error"]
    finally:
        engine.close()
    assert error["code"] == -32002 and error["data"]["kind"] == "RunFolderError"
    assert "not a run folder" in error["message"] and error["data"]["path"] == str(folder)
    assert (folder / "config.json").read_text() == '{"mine": true}'


def test_temp_names_of_our_writers_match_and_users_files_do_not(tmp_path):
    assert is_temp_name(temp_name(tmp_path / "baseline.pt").name)
    assert is_temp_name(".2007_000032.k3j_x9Qa.tmp")  # save_cam's mkstemp
    assert is_temp_name(".cam_model.abcd1234.onnx")  # export_onnx's mkstemp
    for name in ("baseline.pt", "notes.tmp", ".hidden", "cam_model.onnx", ".x.tmp"):
        assert not is_temp_name(name), name


def test_drop_replayed_lines_keeps_other_stages_and_earlier_steps(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"stage": "a", "step": s, "loss": 1.0} for s in range(4)] + [{"stage": "b", "step": 5, "loss": 2.0}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"stage": "b", "st')  # killed mid-append
    log = MetricsLog(tmp_path, tensorboard=False)
    log.log("a", 2, {"loss": 0.5})
    log.log("a", 3, {"loss": 0.4})  # later lines of a stage in the same process are never dropped
    got = [(r["stage"], r["step"], r["loss"]) for r in read_metrics(path)]
    assert got == [("a", 0, 1.0), ("a", 1, 1.0), ("b", 5, 2.0), ("a", 2, 0.5), ("a", 3, 0.4)]
    assert path.read_text().endswith("\n") and '"st\n' not in path.read_text()


def _logged_step(run_dir, step):
    path = run_dir / "metrics.jsonl"
    return path.is_file() and any(r["step"] >= step for r in read_metrics(path))


def _start_cli(config, run_dir, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "wsss_engine", "run", "--config", str(config), "--run-dir", str(run_dir), *extra],
        stderr=subprocess.DEVNULL,
        env=engine_env(),
    )


def test_kill_9_then_resume_removes_crash_temps_and_logs_each_step_once(tmp_path):
    """kill -9 the real CLI between checkpoints (a checkpoint temp of our pattern left as a write cut short
    would leave it), then resume: the temp is gone, a user's file stays, every step is in metrics.jsonl once."""
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 24, "sleep_s": 0.1, "checkpoint_every": 5}])
    run_dir = tmp_path / "run"
    proc = _start_cli(config, run_dir)
    deadline = time.monotonic() + 60
    while not _logged_step(run_dir, 6):  # past the step-5 checkpoint, before the step-10 one
        assert time.monotonic() < deadline and proc.poll() is None, "no progress"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    stale = run_dir / "checkpoints" / ".c.pt.4242.139.tmp"
    stale.write_bytes(b"\0" * 4096)
    keep = run_dir / "checkpoints" / "notes.tmp"
    keep.write_text("not ours")
    logged = [r["step"] for r in read_metrics(run_dir / "metrics.jsonl")]
    assert max(logged) >= 6  # steps past the step-5 checkpoint were logged before the kill

    resumed = subprocess.run(
        [sys.executable, "-m", "wsss_engine", "run", "--run-dir", str(run_dir), "--resume"],
        capture_output=True,
        text=True,
        env=engine_env(),
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    at = int(re.search(r"resuming at step (\d+)", resumed.stderr).group(1))
    assert at % 5 == 0 and 5 <= at <= max(logged) + 1  # the last checkpoint (every 5 steps) before the kill
    assert not stale.exists() and keep.read_text() == "not ours"
    steps = [r["step"] for r in read_metrics(run_dir / "metrics.jsonl") if r["stage"] == "c"]
    assert steps == list(range(24))
