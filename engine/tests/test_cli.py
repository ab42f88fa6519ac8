"""The headless CLI: validate-config, run (progress on stderr, exit codes, Ctrl-C cancels, --resume), protocol.
Most calls run `cli.main` in this process (fast); Ctrl-C and `protocol` use a real subprocess."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from engine_client import PLUGIN_DIR, engine_env, write_config
from wsss_engine import cli
from wsss_engine.rpc.protocol import descriptor


@pytest.fixture(autouse=True)
def counting_plugin(monkeypatch):
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    monkeypatch.setenv("WSSS_ENGINE_PLUGINS", "counting_stage")


def test_protocol_prints_the_descriptor():
    out = subprocess.run([sys.executable, "-m", "wsss_engine", "protocol"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert json.loads(out.stdout) == descriptor()
    assert json.loads(out.stdout)["errors"]["Cancelled"] == -32800


def test_validate_config_names_each_problem_by_json_pointer(tmp_path, capsys):
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": -1}, {"id": "c", "type": "count"}])
    assert cli.main(["validate-config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{config}: /stages/0/steps:" in err and f"{config}: /stages/1/id: duplicate" in err
    good = write_config(tmp_path, [{"id": "c", "type": "count"}])
    assert cli.main(["validate-config", "--json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "errors": []}


def test_run_completes_and_a_failing_stage_exits_nonzero_with_hint(tmp_path, capsys):
    (tmp_path / "ok").mkdir()
    config = write_config(tmp_path / "ok", [{"id": "c", "type": "count", "steps": 6}])
    assert cli.main(["run", "--config", str(config), "--run-dir", str(tmp_path / "run-ok")]) == 0
    assert "[c] 6/6 100.0% step 6" in capsys.readouterr().err
    assert json.loads((tmp_path / "run-ok" / "run.json").read_text())["status"] == "completed"

    bad = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 6, "fail_at_step": 2}])
    assert cli.main(["run", "--config", str(bad), "--run-dir", str(tmp_path / "run-bad")]) == 1
    err = capsys.readouterr().err
    assert "error: stage 'c' (count) failed: ValueError: deliberate failure at step 2" in err
    assert "hint: see the traceback in" in err
    assert json.loads((tmp_path / "run-bad" / "run.json").read_text())["status"] == "failed"


def test_run_into_an_existing_run_refuses_and_says_resume(tmp_path, capsys):
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 2}])
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    assert cli.main(["run", "--config", str(config), "--run-dir", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "already holds a run" in err and "hint: resume" in err


def test_ctrl_c_cancels_with_a_checkpoint_and_resume_completes(tmp_path, capsys):
    config = write_config(tmp_path, [{"id": "c", "type": "count", "steps": 200, "sleep_s": 0.05}])
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-m", "wsss_engine", "run", "--config", str(config), "--run-dir", str(run_dir)],
        stderr=subprocess.PIPE,
        text=True,
        env=engine_env(),
    )
    deadline = time.monotonic() + 60
    for line in proc.stderr:  # wait for the first progress line
        if line.startswith("[c] "):
            break
        assert time.monotonic() < deadline
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(60) == 130, rest
    assert "--resume" in rest
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "cancelled" and record["stages"][0]["status"] == "cancelled"
    assert (run_dir / "checkpoints" / "c.pt").is_file()

    (tmp_path / "fast").mkdir()  # resume may take an edited config: same stages, no pause per step
    fast = write_config(tmp_path / "fast", [{"id": "c", "type": "count", "steps": 200}])
    assert cli.main(["run", "--config", str(fast), "--run-dir", str(run_dir), "--resume"]) == 0
    assert "resuming at step" in capsys.readouterr().err
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "completed" and record["stages"][0]["summary"]["resumed_from"] > 0
