"""The runs one engine process is executing, each on its own worker thread (used by the JSON-RPC server).

Runs execute one at a time, in start order: they share the process's RNGs (seeded runs must reproduce) and
usually one GPU. A started run waits in status "created" until the one before it ends ("queued behind" it);
cancelling it while it waits marks it "cancelled" at once (run.json, run/finished with removedFromQueue, its
folder unlocked) and drops it from the queue. Every start is announced in `run/started` (the engine daemon's
clients all see every run, docs/ARCHITECTURE.md "Engine daemon")."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from wsss_engine.device import prefer_in_process_loaders
from wsss_engine.errors import RunNotFound
from wsss_engine.runs.events import RunEvents
from wsss_engine.runs.run_folder import RunFolder

log = logging.getLogger("wsss_engine.runs")

Notify = Callable[[str, dict[str, Any]], None]  # (notification, params)
RUN_STARTED_KEYS = ("runId", "runDir", "name", "stages", "queuedBehind")
# pipeline.prepare_run / pipeline.execute_run, passed in by the server: runs/ stays below the run driver
Prepare = Callable[[str | None, str, bool], tuple[RunFolder, Any]]
Execute = Callable[[RunFolder, Any, threading.Event, RunEvents], tuple[str, dict[str, str] | None]]


@dataclass
class ActiveRun:
    run_id: str
    run_dir: Path
    folder: RunFolder
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    ticket: int = 0
    final_status: str | None = None
    started: bool = False  # its turn came (guarded by ActiveRuns.turns)
    dropped: bool = False  # cancelled while queued: its turn is skipped
    last_progress: dict[str, Any] | None = None  # the latest run/progress params (a reattaching client shows it)

    @property
    def status(self) -> str:
        return self.final_status or self.folder.record["status"]


class NotifyingEvents(RunEvents):
    """Run events as run/progress notifications of one run. Metrics have one channel, <run>/metrics.jsonl
    (what the report panel tails, also for runs of other engines or the CLI): no notification repeats them."""

    def __init__(self, entry: ActiveRun, notify: Notify) -> None:
        self.entry, self.notify = entry, notify

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None:
        params = {"runId": self.entry.run_id, "stageId": stage_id, "done": done, "total": total, "message": message}
        self.entry.last_progress = params
        self.notify("run/progress", params)


class ActiveRuns:
    def __init__(self, notify: Notify, prepare: Prepare, execute: Execute) -> None:
        self.notify, self.prepare, self.execute = notify, prepare, execute
        prefer_in_process_loaders()  # runs go on threads here: no forked loader workers by default (device.py)
        self.runs: dict[str, ActiveRun] = {}
        self.lock = threading.Lock()
        self.turns = threading.Condition()  # one run at a time, in start order (tickets)
        self.next_ticket = 0
        self.now_serving = 0

    def start(self, config_path: str | None, run_dir: str, resume: bool) -> ActiveRun:
        """Validate and create/lock the run folder now (errors go to the caller), then run on a thread."""
        folder, loaded = self.prepare(config_path, run_dir, resume)
        entry = ActiveRun(folder.id, folder.path, folder)
        entry.thread = threading.Thread(target=self._work, args=(entry, loaded), name=f"run-{folder.id}", daemon=True)
        with self.turns:
            entry.ticket = self.next_ticket
            self.next_ticket += 1
        with self.lock:
            self.runs[entry.run_id] = entry
        entry.thread.start()
        described = self.describe(entry)
        self.notify("run/started", {key: described[key] for key in RUN_STARTED_KEYS})
        return entry

    def _work(self, entry: ActiveRun, loaded: Any) -> None:
        with self.turns:
            if self.now_serving != entry.ticket:
                log.info("run %s waits for the runs started before it", entry.run_id)
            self.turns.wait_for(lambda: self.now_serving == entry.ticket)
            if entry.dropped:  # cancelled while it waited: already recorded and reported by cancel()
                self.now_serving += 1
                self.turns.notify_all()
                return
            entry.started = True
        try:
            status, error = self.execute(entry.folder, loaded, entry.cancel, NotifyingEvents(entry, self.notify))
        except Exception as exc:  # the run driver records stage errors; this is e.g. run.json becoming unwritable
            log.exception("run %s stopped by an error outside its stages", entry.run_id)
            status, error = (
                "failed",
                {
                    "kind": getattr(exc, "kind", "StageFailed"),
                    "message": str(exc),
                    "hint": getattr(exc, "hint", "see the engine log"),
                },
            )
        finally:
            with self.turns:
                self.now_serving += 1
                self.turns.notify_all()
        entry.final_status = status
        self.notify(
            "run/finished", {"runId": entry.run_id, "status": status, "error": error, "removedFromQueue": False}
        )

    def cancel(self, run_id: str) -> bool:
        """True when the run was running and is now asked to stop; False when it had already finished."""
        with self.lock:
            entry = self.runs.get(run_id)
        if entry is None:
            raise RunNotFound(
                f"no run with id {run_id!r} in this engine",
                "list the engine's runs with run/list; runs of other engine processes cannot be cancelled from here",
            )
        with self.turns:
            if entry.final_status is not None:
                return False
            entry.cancel.set()
            if entry.started:
                return True
            entry.dropped = True  # still queued: it never runs
            entry.final_status = "cancelled"
        try:
            entry.folder.set_status("cancelled")
        finally:
            entry.folder.close()
        log.info("run %s cancelled while it waited for the runs started before it", entry.run_id)
        self.notify(
            "run/finished", {"runId": entry.run_id, "status": "cancelled", "error": None, "removedFromQueue": True}
        )
        return True

    def describe(self, entry: ActiveRun) -> dict[str, Any]:
        """A run as run/list and run/started give it (protocol RunListEntry)."""
        record = entry.folder.record
        return {
            "runId": entry.run_id,
            "runDir": str(entry.run_dir),
            "status": entry.status,
            "name": record["name"],
            "stages": [{"id": s["id"], "type": s["type"]} for s in record["stages"]],
            "queuedBehind": self.queued_behind(entry),
            "progress": entry.last_progress,
        }

    def queued_behind(self, entry: ActiveRun) -> dict[str, str] | None:
        """The run this one waits for (the one running now, else the nearest earlier one), None once it runs."""
        with self.turns:
            if entry.started or entry.final_status is not None:
                return None
            with self.lock:
                ahead = [e for e in self.runs.values() if e.ticket < entry.ticket and e.final_status is None]
        if not ahead:
            return None
        blocker = next((e for e in ahead if e.started), max(ahead, key=lambda e: e.ticket))
        return {"runId": blocker.run_id, "name": blocker.folder.record["name"]}

    def list(self) -> list[dict[str, Any]]:
        with self.lock:
            entries = list(self.runs.values())
        return [self.describe(e) for e in entries]

    def has_active(self) -> bool:
        with self.lock:
            return any(e.final_status is None for e in self.runs.values())

    def stop_all(self, timeout: float = 120.0) -> None:
        """Cancel every running run and wait for it to save its checkpoint and record its status."""
        with self.lock:
            entries = [e for e in self.runs.values() if e.thread is not None and e.thread.is_alive()]
        if entries:
            log.info("cancelling %d run(s); each saves a checkpoint before the engine stops", len(entries))
        for e in entries:
            e.cancel.set()
        for e in entries:
            assert e.thread is not None
            e.thread.join(timeout)
            if e.thread.is_alive():
                log.error("run %s did not stop within %.0f s", e.run_id, timeout)
