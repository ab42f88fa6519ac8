"""Multi-process runs under torchrun (2 CPU ranks, gloo) with the same config as a single-process run:
rank 0 owns the run folder, training is DDP, infer_cams splits the images, evaluate runs on rank 0;
a cancellation on rank 1 stops every rank and resumes exactly; a failure on rank 1 (while rank 0 waits in a
collective) fails the run with rank 1's error instead of hanging. Real processes, real files, real gloo.
On a machine with 2+ GPUs, WSSS_DIST_TEST_DEVICE=cuda runs the same tests on cuda:0/cuda:1 with NCCL."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from engine_client import PLUGIN_DIR
from training_world import add_masks, make_voc_root, write_config

torch.set_num_threads(1)

DEVICE = os.environ.get("WSSS_DIST_TEST_DEVICE", "cpu")
if DEVICE != "cpu" and torch.cuda.device_count() < 2:
    pytest.skip(f"WSSS_DIST_TEST_DEVICE={DEVICE} needs 2 CUDA GPUs", allow_module_level=True)
N_IMAGES = 16
BASELINE = {
    "id": "baseline",
    "type": "baseline_cam",
    "backbone": {"name": "small_cnn", "width": 8, "out_channels": 32},
    "batch_size": 8,
    "epochs": 40,
    "lr": 0.05,
    "log_every": 1,
    "num_workers": 0,
}  # 8 = 4 per rank; 16/8 x 40 = 80
STAGES = [
    BASELINE,
    {
        "id": "cams",
        "type": "infer_cams",
        "model": "baseline",
        "split": "train",
        "scales": [1.0],
        "batch_size": 2,
        "num_workers": 0,
    },
    {"id": "eval", "type": "evaluate", "cams": "cams", "split": "train"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_file(path: Path, root: Path, stages: list[dict]) -> Path:
    write_config(path, root, None, stages)
    config = json.loads(path.read_text())
    path.write_text(json.dumps({**config, "device": DEVICE}))
    return path


def torchrun(args: list[str], **env: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "WSSS_ENGINE_PLUGINS": "rank_stage",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PLUGIN_DIR), os.environ.get("PYTHONPATH")])),
        **env,
    }
    environ.pop("WORLD_SIZE", None)
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_addr",
        "127.0.0.1",
        "--master_port",
        str(free_port()),
        "-m",
        "wsss_engine",
        "run",
        *args,
    ]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ, start_new_session=True
    )


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"torchrun hung:\n{out[-4000:]}")
    return proc.returncode, out


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    """training_world's coloured squares, plus masks (the squares' pixels) so that evaluate can score CAMs."""
    return add_masks(make_voc_root(tmp_path_factory.mktemp("dist") / "data", n=N_IMAGES))


@pytest.fixture(scope="module")
def reference(world, tmp_path_factory) -> Path:
    """One uninterrupted 2-rank run of STAGES."""
    tmp = tmp_path_factory.mktemp("reference")
    config = config_file(tmp / "config.json", world, STAGES)
    code, out = finish(torchrun(["--config", str(config), "--run-dir", str(tmp / "run")]))
    assert code == 0, out[-4000:]
    return tmp / "run"


def record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def checkpoint(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "baseline.pt", map_location="cpu", weights_only=True)


def test_two_ranks_run_the_whole_pipeline_once(reference, world):
    rec = record(reference)
    assert rec["status"] == "completed" and rec["error"] is None
    assert [s["status"] for s in rec["stages"]] == ["completed"] * 3
    base = rec["stages"][0]["summary"]
    assert base["ranks"] == 2 and base["steps"] == 80
    assert base["batch_per_rank"] == 4  # the config's global batch of 8 split across the 2 ranks
    assert base["rank_max_param_diff"] == 0.0  # DDP kept both ranks' weights identical
    # metrics come from rank 0 only: one line per step
    steps = [
        m["step"]
        for m in map(json.loads, (reference / "metrics.jsonl").read_text().splitlines())
        if m["stage"] == "baseline"
    ]
    assert steps == list(range(1, 81))
    # every image's CAM written exactly once, split between the ranks
    cams = rec["stages"][1]["summary"]
    assert cams["images"] == cams["written"] == N_IMAGES and [r["written"] for r in cams["ranks"]] == [8, 8]
    ids = sorted(p.stem for p in (world / "JPEGImages").glob("*.png"))
    assert sorted(p.stem for p in (reference / "cams" / "cams").glob("*.npy")) == ids
    assert not list((reference / "cams" / "cams").glob(".*.tmp"))
    report = json.loads((reference / "reports" / "eval.json").read_text())
    assert report["n_images"] == N_IMAGES and 0.0 <= report["miou"] <= 1.0
    assert (reference / ".lock").read_text().startswith("pid ")  # rank 0 alone held the lock
    assert "completed" in (reference / "engine.log").read_text()


def test_a_run_folder_in_use_stops_every_rank_with_one_message(reference, world, tmp_path):
    config = config_file(tmp_path / "config.json", world, STAGES)
    code, out = finish(torchrun(["--config", str(config), "--run-dir", str(reference)]), timeout=90)
    assert code != 0
    assert out.count("already holds a run") == 1, out[-4000:]  # rank 0 says it; rank 1 just exits
    assert record(reference)["status"] == "completed"  # untouched


def rank_pid(torchrun_pid: int, rank: int, deadline: float) -> int:
    """The pid of the worker with RANK=rank among torchrun's children (read from /proc)."""
    while time.monotonic() < deadline:
        for child in Path("/proc").glob("[0-9]*"):
            try:
                stat = (child / "stat").read_text()
                env = (child / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == torchrun_pid and f"RANK={rank}".encode() in env:
                return int(child.name)
        time.sleep(0.1)
    raise AssertionError(f"no rank {rank} worker under torchrun {torchrun_pid}")


def test_cancel_on_rank_1_stops_every_rank_and_resume_is_exact(reference, world, tmp_path):
    config = config_file(tmp_path / "config.json", world, STAGES)
    run_dir = tmp_path / "run"
    proc = torchrun(["--config", str(config), "--run-dir", str(run_dir)])
    deadline = time.monotonic() + 90
    rank1 = rank_pid(proc.pid, 1, deadline)
    metrics = run_dir / "metrics.jsonl"
    while not (metrics.is_file() and len(metrics.read_text().splitlines()) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, "training ended before the cancel"
        time.sleep(0.05)
    os.kill(rank1, signal.SIGINT)  # only rank 1 is told: it must stop rank 0 too
    code, out = finish(proc)
    assert code != 0, out[-4000:]
    rec = record(run_dir)
    assert rec["status"] == "cancelled", out[-4000:]
    assert rec["stages"][0]["status"] == "cancelled"
    cut = checkpoint(run_dir)
    assert 2 <= cut["step"] < 80 and not cut["complete"]

    code, out = finish(torchrun(["--run-dir", str(run_dir), "--resume"]))
    assert code == 0, out[-4000:]
    rec = record(run_dir)
    assert rec["status"] == "completed" and [s["status"] for s in rec["stages"]] == ["completed"] * 3
    full, resumed = checkpoint(reference), checkpoint(run_dir)
    assert resumed["step"] == full["step"] == 80
    for key, value in full["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert len(list((run_dir / "cams" / "cams").glob("*.npy"))) == N_IMAGES


def test_failure_on_rank_1_fails_the_run_without_hanging(world, tmp_path):
    config = config_file(tmp_path / "config.json", world, [{"id": "boom", "type": "rank_fail"}])
    start = time.monotonic()
    code, out = finish(
        torchrun(["--config", str(config), "--run-dir", str(tmp_path / "run")], WSSS_DIST_GRACE_S="2"), timeout=90
    )
    assert code != 0
    rec = record(tmp_path / "run")
    assert rec["status"] == "failed", out[-4000:]
    assert rec["error"]["message"].startswith("rank 1: ") and "injected failure on rank 1" in rec["error"]["message"]
    assert rec["stages"][0]["status"] == "failed"
    assert rec["error"]["path"] == str(tmp_path / "run" / "engine.rank1.log")
    assert "ValueError: injected failure" in (tmp_path / "run" / "engine.rank1.log").read_text()
    assert time.monotonic() - start < 60
