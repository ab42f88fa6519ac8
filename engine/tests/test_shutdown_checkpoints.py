"""A stopped training leaves a resumable checkpoint (issue 12 item 9): SIGTERM to the real `run` CLI mid-epoch
saves the current step and the resume is exact; with `checkpoint_every_s` even a kill -9 loses little."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

import pytest

from engine_client import engine_env
from training_world import make_voc_root, write_config
from wsss_engine.pipeline import load_run_config
from wsss_engine.runs.metrics import read_metrics

STEPS_PER_EPOCH = 24  # 48 images, batch 2, one epoch


def stages(**extra) -> list[dict]:
    return [
        {
            "id": "base",
            "type": "baseline_cam",
            "epochs": 1,
            "batch_size": 2,
            "lr": 0.05,
            "log_every": 1,
            "optimizer": "adam",
            "checkpoint_every": 0,
            "checkpoint_every_s": 0,
            "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
            **extra,
        }
    ]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "wsss_engine", "run", *args]


def losses(run_dir) -> dict[int, float]:
    steps = [r for r in read_metrics(run_dir / "metrics.jsonl") if r["stage"] == "base"]
    assert len({r["step"] for r in steps}) == len(steps), "a step was logged twice"
    return {r["step"]: r["loss"] for r in steps}


def stop_mid_epoch(config, run_dir, sig: int) -> int:
    """Start the CLI, send `sig` once a few steps are logged; the last step logged before it stopped."""
    proc = subprocess.Popen(
        cli("--config", str(config), "--run-dir", str(run_dir)), env=engine_env(), stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not ((run_dir / "metrics.jsonl").is_file() and len(losses(run_dir)) >= 4):
        assert proc.poll() is None and time.monotonic() < deadline, "the run did not start training"
        time.sleep(0.005)
    proc.send_signal(sig)
    proc.wait(60)
    return max(losses(run_dir))


def resume(run_dir) -> int:
    out = subprocess.run(
        cli("--run-dir", str(run_dir), "--resume"), env=engine_env(), capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return int(re.search(r"resuming from .* at step (\d+)/", out.stderr).group(1))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The tiny world and the losses of an uninterrupted run (checkpoint settings do not change them)."""
    tmp = tmp_path_factory.mktemp("world")
    root = make_voc_root(tmp / "voc", n=2 * STEPS_PER_EPOCH)
    config = write_config(tmp / "c.json", root, None, stages())
    out = subprocess.run(
        cli("--config", str(config), "--run-dir", str(tmp / "straight")),
        env=engine_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return root, losses(tmp / "straight")


def test_sigterm_mid_epoch_saves_the_current_step_and_resume_is_exact(tmp_path, world):
    root, reference = world
    config = write_config(tmp_path / "c.json", root, None, stages())
    last = stop_mid_epoch(config, tmp_path / "run", signal.SIGTERM)
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "cancelled" and record["stages"][0]["status"] == "cancelled"
    assert (tmp_path / "run" / "checkpoints" / "base.pt").is_file()
    at = resume(tmp_path / "run")
    assert at == last and at % STEPS_PER_EPOCH != 0, (at, last)  # the current step, not the epoch's start
    assert losses(tmp_path / "run") == reference  # every step, bit for bit


def test_time_based_checkpoints_survive_kill_9_and_resume_exactly(tmp_path, world):
    root, reference = world
    config = write_config(tmp_path / "c.json", root, None, stages(checkpoint_every_s=0.01))
    last = stop_mid_epoch(config, tmp_path / "run", signal.SIGKILL)
    at = resume(tmp_path / "run")
    assert 0 < at <= last and at % STEPS_PER_EPOCH != 0 and last - at <= 3, (at, last)  # not back to 0
    assert losses(tmp_path / "run") == reference


def test_checkpoint_every_s_defaults_to_ten_minutes(tmp_path, world):
    root, _ = world
    config = write_config(
        tmp_path / "c.json",
        root,
        None,
        [{"id": "base", "type": "baseline_cam"}, {"id": "clims", "type": "train_clims"}],
    )
    loaded = load_run_config(config).config
    assert [s["checkpoint_every_s"] for s in loaded["stages"]] == [600, 600]
