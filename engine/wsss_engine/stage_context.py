"""The StageContext every stage gets: its run folder, config, device, progress / metrics / log channels,
cancellation, checkpoints and the paths of earlier stages' results (docs/ARCHITECTURE.md, "StageContext")."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import torch

from wsss_engine import device as devices
from wsss_engine.errors import Cancelled, ConfigInvalid
from wsss_engine.runs.config import LoadedConfig
from wsss_engine.runs.events import ProgressThrottle, RunEvents
from wsss_engine.runs.metrics import MetricsLog
from wsss_engine.runs.run_folder import RunFolder, checkpoint_file
from wsss_engine.training.checkpoint import load_checkpoint, write_checkpoint
from wsss_engine.training.distributed import DistInfo

__all__ = ["StageContext", "resolve_against"]

LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


def resolve_against(base_dir: Path, p: str | Path) -> Path:
    """A config's path: relative ones resolve against the config file's folder."""
    p = Path(p).expanduser()
    return p if p.is_absolute() else (base_dir / p).resolve()


class StageContext:
    """Everything a stage may use; see docs/ARCHITECTURE.md. One context per stage execution."""

    def __init__(
        self,
        run: RunFolder,
        loaded: LoadedConfig,
        device: torch.device,
        stage: dict[str, Any],
        cancel_event: threading.Event,
        events: RunEvents,
        metrics_log: MetricsLog,
        logger: logging.Logger,
        dist: DistInfo | None = None,
        sync: Any = None,
    ) -> None:
        self.run = run
        self.dist = dist or DistInfo()  # torchrun rank / world (rank 0 of 1 without torchrun)
        self._sync = sync  # runs.rank_sync.RankSync under torchrun
        self.config = loaded.config
        self.device = device
        self.stage = stage
        self.stage_id: str = stage["id"]
        self._base_dir = loaded.base_dir
        self._cancel = cancel_event
        self._metrics = metrics_log
        self._logger = logger
        self._throttle = ProgressThrottle(lambda d, t, m: events.progress(self.stage_id, d, t, m))

    def flush_progress(self) -> None:
        """Send the progress update the throttle held back (the stage runner calls it when a stage ends)."""
        self._throttle.flush()

    @property
    def synthetic(self) -> bool:
        return bool(self.config.get("synthetic", False))

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._throttle.update(int(done), int(total), str(message))

    def metrics(self, step: int, **values: Any) -> None:
        self._metrics.log(self.stage_id, step, values)

    def check_cancelled(self) -> None:
        if self._cancel.is_set():
            raise Cancelled(f"run cancelled during stage '{self.stage_id}'")

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def log(self, message: str, level: str = "info") -> None:
        """level: "debug" | "info" | "warning" | "error" (anything else counts as info)."""
        levelno = LOG_LEVELS.get(level.lower(), logging.INFO)
        self._logger.log(levelno, "[%s] %s", self.stage_id, message)

    def stage_dir(self, name: str | None = None) -> Path:
        """<run>/stages/<name or this stage's id>/, created: per-stage scratch space."""
        return self.run.subdir("stages", name or self.stage_id)

    def resolve_path(self, p: str | Path) -> Path:
        return resolve_against(self._base_dir, p)

    # -- checkpoints: <run>/checkpoints/<stage-id>.pt ------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.run.checkpoint_path(self.stage_id)

    def save_checkpoint(self, state: dict[str, Any], stage_id: str | None = None) -> Path:
        """torch.save written atomically; include devices.rng_state() (ctx.rng_state()) to resume exactly."""
        path = self.run.checkpoint_path(stage_id or self.stage_id)
        write_checkpoint(path, state)
        return path

    def load_checkpoint(self, stage_id: str | None = None, map_location: Any = "cpu") -> dict[str, Any] | None:
        """A stage's checkpoint (this one's by default), or None when it has none. Tensors and plain data only
        (weights_only=True): a planted file cannot run code; RunFolderError naming it otherwise."""
        return load_checkpoint(checkpoint_file(self.run.path, stage_id or self.stage_id), map_location)

    def all_gather(self, value: Any) -> list[Any]:
        """Every rank's JSON `value` in rank order (under torchrun; [value] otherwise), e.g. to add up the
        shares of a stage that splits its images across ranks. Every rank of the stage must call it."""
        if self._sync is None or not self.dist.enabled:
            return [value]
        self._gathers = getattr(self, "_gathers", 0) + 1
        return self._sync.all_gather(f"stage/{self.stage_id}/gather{self._gathers}", value)

    rng_state = staticmethod(devices.rng_state)
    set_rng_state = staticmethod(devices.set_rng_state)

    def stage_summary(self, stage_id: str) -> dict[str, Any]:
        """The summary of an earlier, completed stage of this run (params reference stages by id)."""
        try:
            entry = self.run.stage(stage_id)
        except KeyError:
            raise ConfigInvalid(
                f"stage '{self.stage_id}' refers to stage '{stage_id}', which this run does not have",
                "use the id of an earlier stage of the config",
            ) from None
        if entry["status"] != "completed":
            raise ConfigInvalid(
                f"stage '{self.stage_id}' needs stage '{stage_id}', which is {entry['status']}",
                "order the stages so that it runs earlier",
            ) from None
        return entry["summary"]
