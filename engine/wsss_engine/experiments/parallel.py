"""Runs of an experiment side by side, one per slot (docs/EXPERIMENTS.md, "Running"): by default one per GPU
when the machine has several (device_list.py), each run in its own `python -m wsss_engine run` process that
sees only its GPU (CUDA_VISIBLE_DEVICES); `slots` N > 1 given explicitly runs N processes on whatever device
the configs name (e.g. CPU cores to spare). A run starts once the shared runs it reads (`needs`) completed.
A stop sends each process SIGINT (the CLI's polite cancel: the stage saves its checkpoint)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .run_api import run_status

ONE_DEVICE = ("auto", "cuda", "cuda:0")  # configs that run on "the" GPU a process is given


def gpu_slots(configs: list[dict[str, Any]]) -> list[str]:
    """CUDA_VISIBLE_DEVICES values, one per GPU, when there are two or more and every config takes any GPU."""
    if any(c.get("device", "auto") not in ONE_DEVICE for c in configs):
        return []
    from ..device_list import describe_devices

    gpus = [d["id"].split(":")[1] for d in describe_devices() if d["kind"] == "cuda"]
    return gpus if len(gpus) > 1 else []


def run_parallel(
    exp_dir: Path,
    units: list[dict[str, Any]],
    slots: list[str | None],
    cancel: threading.Event,
    save: Callable[[], None],
    poll_s: float = 0.5,
) -> tuple[str, dict[str, Any] | None]:
    """Run the units not completed yet, at most one per slot; returns (experiment status, error)."""
    running: dict[str, tuple[subprocess.Popen, str | None, dict[str, Any]]] = {}
    free = list(slots)
    status, error, stopping = "completed", None, False
    while True:
        for name, (proc, slot, unit) in list(running.items()):
            if proc.poll() is None:
                continue
            del running[name]
            free.append(slot)
            unit["status"] = run_status(exp_dir / unit["runDir"]) or "failed"
            if unit["status"] != "completed" and status == "completed":
                status = "cancelled" if unit["status"] == "cancelled" else "failed"
                error = None if status == "cancelled" else _error(exp_dir, unit, _log(exp_dir, unit))
                stopping = True
            save()
        if cancel.is_set() and not stopping:
            stopping, status = True, "cancelled"
            for proc, _, _ in running.values():
                proc.send_signal(signal.SIGINT)
        done = {u["name"] for u in units if u["status"] == "completed"}
        ready = [
            u for u in units if u["status"] != "completed" and u["name"] not in running and set(u["needs"]) <= done
        ]
        while ready and free and not stopping:
            unit, slot = ready.pop(0), free.pop(0)
            running[unit["name"]] = (_start(exp_dir, unit, slot), slot, unit)
            unit["status"] = "running"
            save()
        if not running:
            if not stopping and any(u["status"] != "completed" for u in units):
                status = "failed"  # nothing can start: a needed run is missing
                error = {"kind": "StageFailed", "message": "no run can start", "hint": "resume the experiment"}
            return status, error
        time.sleep(poll_s)


def _start(exp_dir: Path, unit: dict[str, Any], slot: str | None) -> subprocess.Popen:
    run_dir = exp_dir / unit["runDir"]
    cmd = [
        sys.executable,
        "-m",
        "wsss_engine",
        "run",
        "--config",
        str(exp_dir / unit["config"]),
        "--run-dir",
        str(run_dir),
    ]
    if (run_dir / "run.json").is_file():
        cmd.append("--resume")
    env = dict(os.environ)
    if slot is not None:
        env["CUDA_VISIBLE_DEVICES"] = slot
    engine_root = str(Path(__file__).resolve().parents[2])  # this engine, whatever the caller's path
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [engine_root, env.get("PYTHONPATH", "")]))
    log = _log(exp_dir, unit)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:  # the child keeps its own handle; a pipe could fill up and stall it
        return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=out)


def _log(exp_dir: Path, unit: dict[str, Any]) -> Path:
    """<exp>/logs/<unit>.log: the run process's stderr (progress, errors)."""
    return exp_dir / "logs" / (unit["name"].replace("/", "__") + ".log")


def _error(exp_dir: Path, unit: dict[str, Any], log: Path) -> dict[str, Any]:
    from ..json_input import JsonInputError
    from ..runs.run_folder import read_json

    try:
        recorded = read_json(exp_dir / unit["runDir"] / "run.json").get("error")
    except (OSError, JsonInputError):
        recorded = None
    if recorded is None:  # it failed before its run.json said why: the process's last words
        tail = log.read_text(errors="replace")[-2000:].strip() if log.is_file() else ""
        recorded = {"kind": "StageFailed", "message": tail or "the run failed", "hint": f"see {log}"}
    return {**recorded, "unit": unit["name"]}
