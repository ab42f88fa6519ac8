"""Engine requests experiment/start|resume|stop|status (protocol.EXPERIMENT_METHODS; docs/EXPERIMENTS.md).

An experiment runs its units on one worker thread per experiment folder (experiments/runner.py); the stage
progress of its runs goes out as experiment/progress, its end as experiment/finished. Runs started with
run/start meanwhile are not queued behind it (runs/active.py keeps its own order): start one or the other."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from ..errors import RunFolderError
from .server import current_notify, register_request

log = logging.getLogger("wsss_engine.rpc.experiments")
_lock = threading.Lock()
_active: dict[Path, tuple[threading.Thread, threading.Event]] = {}


class _UnitEvents:
    """Pipeline events of one unit's run -> experiment/progress."""

    def __init__(self, exp_dir: Path, unit: str) -> None:
        self.exp_dir, self.unit = exp_dir, unit

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None:
        _send(
            "experiment/progress",
            {
                "experimentDir": str(self.exp_dir),
                "unit": self.unit,
                "stageId": stage_id,
                "done": done,
                "total": total,
                "message": message,
            },
        )

    def metrics(self, stage_id: str, step: int, values: dict) -> None:
        pass  # metrics.jsonl of the unit's run folder has them


def _answer(exp_dir: Path) -> dict[str, Any]:
    from ..experiments.runner import read_state

    state = read_state(exp_dir)
    return {
        "experimentDir": str(exp_dir),
        "name": state["name"],
        "status": "running" if _running(exp_dir) else state["status"],
        "units": state["units"],
        "error": state["error"],
    }


def _running(exp_dir: Path) -> bool:
    with _lock:
        entry = _active.get(exp_dir)
    return entry is not None and entry[0].is_alive()


def _launch(exp_dir: Path) -> None:
    from ..experiments.runner import run_experiment

    cancel = threading.Event()

    def work() -> None:
        try:
            state = run_experiment(exp_dir, cancel, lambda unit: _UnitEvents(exp_dir, unit["name"]))
            status, error = state["status"], state["error"]
        except Exception as exc:  # e.g. the folder became unwritable: still reported
            log.exception("experiment %s stopped by an error", exp_dir)
            status, error = "failed", {"kind": getattr(exc, "kind", "StageFailed"), "message": str(exc), "hint": ""}
        with _lock:  # no longer running once a client hears it finished (experiment/status right after agrees)
            if _active.get(exp_dir, (None,))[0] is threading.current_thread():
                del _active[exp_dir]
        _send("experiment/finished", {"experimentDir": str(exp_dir), "status": status, "error": error})

    with _lock:
        entry = _active.get(exp_dir)
        if entry is not None and entry[0].is_alive():
            raise RunFolderError(
                f"experiment {exp_dir} is already running in this engine", "stop it first, or wait for it", exp_dir
            )
        thread = threading.Thread(target=work, name=f"experiment-{exp_dir.name}", daemon=True)
        _active[exp_dir] = (thread, cancel)
    thread.start()


def _send(method: str, params: dict[str, Any]) -> None:
    notify = current_notify()
    if notify is not None:
        notify(method, params)


def start(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    from ..experiments.runner import create_experiment

    exp_dir = Path(params["experimentDir"]).absolute()
    create_experiment(params["experimentPath"], exp_dir)
    _launch(exp_dir)
    return _answer(exp_dir)


def resume(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    exp_dir = Path(params["experimentDir"]).absolute()
    _answer(exp_dir)  # RunNotFound when the folder holds no experiment
    _launch(exp_dir)
    return _answer(exp_dir)


def stop(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    exp_dir = Path(params["experimentDir"]).absolute()
    with _lock:
        entry = _active.get(exp_dir)
    if entry is None or not entry[0].is_alive():
        return {"stopped": False}
    entry[1].set()
    return {"stopped": True}


def status(params: dict[str, Any], cancelled: threading.Event) -> dict[str, Any]:
    return _answer(Path(params["experimentDir"]).absolute())


def any_active() -> bool:
    """An experiment's worker is running (the engine daemon stays while one is)."""
    with _lock:
        return any(thread.is_alive() for thread, _ in _active.values())


def stop_all(timeout: float = 120.0) -> None:
    """Engine shutdown: stop every experiment; each running run saves its checkpoint first."""
    with _lock:
        entries = list(_active.values())
    for _, cancel in entries:
        cancel.set()
    for thread, _ in entries:
        thread.join(timeout)


register_request("experiment/start", start)
register_request("experiment/resume", resume)
register_request("experiment/stop", stop)
register_request("experiment/status", status)
