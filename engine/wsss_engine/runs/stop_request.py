"""A stop asked for through the run folder: <run>/cluster/stop.json (docs/CLUSTER.md, "Stopping a job").

On a cluster, signals are a poor way to stop a run politely: `srun` answers SIGTERM by tearing the step down,
and the torchrun agents between it and the ranks forward or swallow signals in their own ways. The run folder
is already the contract between the editor and the job (it sits on a file system both see), so a stop is a
small file there: every rank of `wsss_engine run` watches for it and cancels as on Ctrl-C (the stage saves its
checkpoint, the run is recorded "cancelled"). The job script writes it itself when SLURM warns of the time
limit; `cluster cancel` writes it for a running job.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from wsss_engine.errors import EngineError
from wsss_engine.json_input import read_json_file
from wsss_engine.runs.run_folder import atomic_write_json, utc_now

STOP_FILE = Path("cluster") / "stop.json"
POLL_S = float(os.environ.get("WSSS_STOP_POLL_S", "1.0"))  # how often a rank looks (tests look more often)


def request_stop(run_dir: str | Path, reason: str) -> Path:
    """Ask every rank of the run's job to stop politely. Returns the file written."""
    path = Path(run_dir) / STOP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, {"reason": reason, "requested": utc_now()})
    return path


def clear_stop(run_dir: str | Path) -> None:
    (Path(run_dir) / STOP_FILE).unlink(missing_ok=True)


def stop_requested(run_dir: str | Path) -> dict[str, Any] | None:
    path = Path(run_dir) / STOP_FILE
    if not path.is_file():
        return None
    try:
        data = read_json_file(path, what="stop request")
    except EngineError:  # half-visible on a network file system: a stop all the same
        return {"reason": "stop"}
    return data if isinstance(data, dict) else {"reason": "stop"}


class StopWatcher:
    """A daemon thread that sets `cancel` once the run's stop file appears (polls every POLL_S seconds). The
    request is consumed when the run ends (the file removed), so a later resume is not stopped by it."""

    def __init__(self, run_dir: str | Path, cancel: threading.Event, on_stop=None) -> None:
        self.run_dir = Path(run_dir)
        self.cancel = cancel
        self.on_stop = on_stop
        self._done = threading.Event()
        self.fired = False
        self._thread = threading.Thread(target=self._watch, name="wsss-stop-watch", daemon=True)

    def __enter__(self) -> "StopWatcher":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=POLL_S * 2)
        if self.fired:
            clear_stop(self.run_dir)

    def _watch(self) -> None:
        while not self._done.wait(POLL_S):
            request = stop_requested(self.run_dir)
            if request is not None and not self.cancel.is_set():
                self.fired = True
                if self.on_stop is not None:
                    self.on_stop(request)
                self.cancel.set()
                return
