"""Runs on a real SLURM (Debian's slurm-wlm, a private controller + daemon on this machine: slurm_cluster.py).

A tiny 2-rank run goes through `wsss_engine cluster submit` with 2 torchrun agents on the one node, each its
own rendezvous "node" (how a 2-node job is simulated on one machine): it completes, rank 0 owns the run folder
and rank 1 logs beside it. A second job is cancelled mid-training (`cluster cancel`: SIGTERM to every rank),
its run records "cancelled" with a checkpoint, and `cluster resume` resubmits it to the same weights, bit for
bit, as the uninterrupted job. Real processes, real files, real gloo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from slurm_cluster import PrivateSlurm, unavailable_reason
from training_world import add_masks, make_voc_root, write_config
from wsss_engine.cluster import jobs

if reason := unavailable_reason():
    pytest.skip(reason, allow_module_level=True)

ENGINE = Path(__file__).resolve().parents[1]
STEPS = 100
STAGES = [
    {
        "id": "baseline",
        "type": "baseline_cam",
        "backbone": {"name": "small_cnn", "width": 8, "out_channels": 32},
        "batch_size": 8,
        "epochs": 50,
        "lr": 0.05,
        "log_every": 1,
        "num_workers": 0,
    },  # 16 images / 8 x 50 = 100 steps; 4 images per rank and step
    {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "batch_size": 2},
]
JOB = {
    "agents_per_node": 2,  # 2 rendezvous nodes of 1 process each, on this one machine
    "time": "10:00",
    "env": {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(ENGINE), "WSSS_STOP_POLL_S": "0.1"},
}


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    cluster = PrivateSlurm(tmp_path_factory.mktemp("slurm"), cpus=max(2, os.cpu_count() or 2))
    cluster.start()
    old = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    yield cluster
    if old is None:
        os.environ.pop("SLURM_CONF", None)
    else:
        os.environ["SLURM_CONF"] = old
    cluster.stop()


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("slurm-run")
    root = add_masks(make_voc_root(tmp / "data", n=16))
    path = write_config(tmp / "config.json", root, None, STAGES)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "cluster": JOB}))
    return path


def wait_for(predicate, timeout: float, what: str, run_dir: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    outs = "\n".join(p.read_text()[-3000:] for p in (run_dir / "cluster").glob("slurm-*.out"))
    pytest.fail(f"timed out waiting for {what}; job output:\n{outs}")


def record(run_dir: Path) -> dict:
    return json.loads((run_dir / "run.json").read_text())


def ended(run_dir: Path):
    status = jobs.job_status(run_dir)
    return None if status["active"] else status


def weights(run_dir: Path) -> dict:
    return torch.load(run_dir / "checkpoints" / "baseline.pt", map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def completed(slurm, config, tmp_path_factory) -> Path:
    run_dir = tmp_path_factory.mktemp("completed") / "run"
    job = jobs.submit_run(config, run_dir)
    assert job["worldSize"] == 2 and record(run_dir)["status"] == "created"  # created and checked on submit
    wait_for(lambda: ended(run_dir), 240, "the job to end", run_dir)
    return run_dir


def test_a_two_node_job_completes_with_rank_0_owning_the_run_folder(completed):
    rec = record(completed)
    assert rec["status"] == "completed", rec
    base = rec["stages"][0]["summary"]
    assert base["ranks"] == 2 and base["steps"] == STEPS and base["rank_max_param_diff"] == 0.0
    assert (completed / "engine.rank1.log").is_file()  # rank 1's log beside rank 0's
    assert len(list((completed / "cams" / "cams").glob("*.npy"))) == 16
    job = json.loads((completed / "cluster" / "jobs.json").read_text())["jobs"]
    assert len(job) == 1 and job[0]["id"].isdigit()
    out = (completed / "cluster" / f"slurm-{job[0]['id']}.out").read_text()
    assert "2 agent(s), rendezvous" in out and "ends with exit code 0" in out
    status = jobs.job_status(completed)
    assert status["state"] == "COMPLETED" and status["runStatus"] == "completed"


def test_cancel_mid_run_then_resubmit_resumes_to_the_same_weights(completed, config, tmp_path):
    run_dir = tmp_path / "run"
    jobs.submit_run(config, run_dir)
    metrics = run_dir / "metrics.jsonl"
    wait_for(lambda: metrics.is_file() and len(metrics.read_text().splitlines()) >= 3, 180, "training", run_dir)
    jobs.cancel_job(run_dir)
    wait_for(lambda: ended(run_dir), 120, "the cancelled job to end", run_dir)
    rec = record(run_dir)
    assert rec["status"] == "cancelled" and rec["stages"][0]["status"] == "cancelled", rec
    cut = weights(run_dir)
    assert 3 <= cut["step"] < STEPS and not cut["complete"]
    with pytest.raises(Exception, match="no cluster job|not queued or running"):
        jobs.cancel_job(run_dir)  # nothing left to cancel: said so, nothing sent

    second = jobs.submit_run(None, run_dir, resume=True)
    assert second["id"] != json.loads((run_dir / "cluster" / "jobs.json").read_text())["jobs"][0]["id"]
    wait_for(lambda: ended(run_dir), 240, "the resubmitted job to end", run_dir)
    assert record(run_dir)["status"] == "completed"
    full, resumed = weights(completed), weights(run_dir)
    assert resumed["step"] == full["step"] == STEPS
    for key, value in full["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    steps = [m["step"] for m in map(json.loads, metrics.read_text().splitlines()) if m["stage"] == "baseline"]
    assert sorted(set(steps)) == list(range(1, STEPS + 1))  # no step lost to the cancel


def test_the_time_limit_warning_checkpoints_requeues_and_the_job_resumes(completed, config, tmp_path):
    """SIGUSR1 to the batch shell, as SLURM sends it `signal_lead_s` before the time limit."""
    run_dir = tmp_path / "run"
    job = jobs.submit_run(config, run_dir)
    metrics = run_dir / "metrics.jsonl"
    wait_for(lambda: metrics.is_file() and len(metrics.read_text().splitlines()) >= 3, 180, "training", run_dir)
    subprocess.run(["scancel", "--batch", "--signal=USR1", job["id"]], check=True)
    wait_for(lambda: ended(run_dir), 300, "the requeued job to end", run_dir)
    assert record(run_dir)["status"] == "completed"
    out = (run_dir / "cluster" / f"slurm-{job['id']}.out").read_text()
    assert "requeueing job" in out and "(restart 1)" in out  # one job id, run twice (--open-mode=append)
    assert not (run_dir / "cluster" / "stop.json").exists()
    full, resumed = weights(completed), weights(run_dir)
    for key, value in full["model"].items():
        assert torch.equal(value, resumed["model"][key]), key


def test_a_second_submit_while_a_job_is_active_is_refused(slurm, config, tmp_path):
    run_dir = tmp_path / "run"
    jobs.submit_run(config, run_dir, {"time": "10:00"})
    try:
        with pytest.raises(Exception, match="already has job"):
            jobs.submit_run(None, run_dir, resume=True)
    finally:
        jobs.cancel_job(run_dir)
        wait_for(lambda: ended(run_dir), 120, "the cancelled job to end", run_dir)


def test_an_experiment_runs_as_dependent_job_arrays_and_tabulates(slurm, tmp_path):
    """Shared runs first (one array), then the variants (a second array after it), then the table."""
    from test_experiments import write_experiment

    from wsss_engine.cluster.experiment_jobs import experiment_jobs_status, submit_experiment
    from wsss_engine.experiments.runner import read_state, write_tables

    exp_file = write_experiment(tmp_path, seeds=[0])  # one seed: a shared run, then two variant runs
    exp_dir = tmp_path / "exp"
    record = submit_experiment(exp_file, exp_dir, {"time": "10:00", "env": JOB["env"]})
    shared, variants = record["waves"]
    assert all(u.startswith("shared/") for u in shared["units"])
    assert all(u.startswith("runs/") for u in variants["units"]) and len(variants["units"]) == 2
    assert all((exp_dir / u / "run.json").is_file() for u in shared["units"])  # created and checked on submit

    def done():
        status = experiment_jobs_status(exp_dir)
        return None if any(w["active"] for w in status["waves"]) else status

    status = wait_for(done, 400, "the experiment's arrays to end", exp_dir)
    assert set(status["runs"].values()) == {"completed"}, status
    assert all(u["status"] == "completed" for u in read_state(exp_dir)["units"])
    tables = write_tables(exp_dir)
    assert "POLE selection" in tables["md"].read_text()


def test_sys_executable_runs_the_job(config):
    assert Path(sys.executable).is_absolute()  # the default engine Python a job script names
