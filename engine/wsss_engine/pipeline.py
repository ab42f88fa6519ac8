"""The pipeline: the StageContext every stage gets, and running a config's stages in order with resume,
cancellation and failure recording (docs/ARCHITECTURE.md, "StageContext" and "Run folder").
Stage types come from wsss_engine.stage_registry (`register_stage` is re-exported here for stage modules)."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable

import torch

from wsss_engine import device as devices
from wsss_engine.errors import Cancelled, ConfigInvalid, EngineError, OutOfMemory, RunFolderError, StageFailed
from wsss_engine.preflight import check_inputs, stage_params
from wsss_engine.run_config import config_file_problems, load_run_config, load_stored_config
from wsss_engine.runs.config import LoadedConfig
from wsss_engine.runs.metrics import MetricsLog
from wsss_engine.runs.portable_paths import CONFIG_BASE_KEY, CONFIG_BASE_RUN, portable_config, portable_path
from wsss_engine.runs.run_folder import RunFolder, atomic_write_bytes, jsonable, utc_now
from wsss_engine.safe_pickle import torch_load
from wsss_engine.stage_registry import StageFn, register_stage, stage_spec
from wsss_engine.training.distributed import DistInfo

__all__ = [
    "StageContext",
    "StageFn",
    "RunEvents",
    "register_stage",
    "prepare_run",
    "execute_run",
    "load_run_config",
    "load_stored_config",
    "config_file_problems",
]

log = logging.getLogger("wsss_engine.pipeline")

PROGRESS_INTERVAL_S = 0.25  # ~4 Hz
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}


# -- configs -------------------------------------------------------------------------------------------
def resolve_against(base_dir: Path, p: str | Path) -> Path:
    """A config's path: relative ones resolve against the config file's folder."""
    p = Path(p).expanduser()
    return p if p.is_absolute() else (base_dir / p).resolve()


# -- the context a stage runs in -----------------------------------------------------------------------
class ProgressThrottle:
    """Passes at most one progress update per interval; `flush` sends the last held-back one."""

    def __init__(self, emit: Callable[[int, int, str], None], interval: float = PROGRESS_INTERVAL_S) -> None:
        self.emit, self.interval = emit, interval
        self.last_sent = 0.0
        self.pending: tuple[int, int, str] | None = None

    def update(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if now - self.last_sent >= self.interval or done >= total:
            self.pending = None
            self.last_sent = now
            self.emit(done, total, message)
        else:
            self.pending = (done, total, message)

    def flush(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            self.emit(*pending)


class RunEvents:
    """What a run reports to its host (server notifications or CLI stderr). Override what you need."""

    def progress(self, stage_id: str, done: int, total: int, message: str) -> None: ...
    def metrics(self, stage_id: str, step: int, values: dict[str, float | None]) -> None: ...


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
        buf = io.BytesIO()
        torch.save(state, buf)
        atomic_write_bytes(path, buf.getvalue())
        return path

    def load_checkpoint(self, stage_id: str | None = None, map_location: Any = "cpu") -> dict[str, Any] | None:
        """A stage's checkpoint (this one's by default), or None when it has none. Tensors and plain data only
        (weights_only=True): a planted file cannot run code; RunFolderError naming it otherwise."""
        path = self.run.path / "checkpoints" / f"{stage_id or self.stage_id}.pt"
        if not path.is_file():
            return None
        return torch_load(
            path, RunFolderError, "checkpoint", "delete it to restart the stage from scratch", map_location
        )

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


# -- running -------------------------------------------------------------------------------------------
def prepare_run(config_path: str | Path | None, run_dir: str | Path, resume: bool) -> tuple[RunFolder, LoadedConfig]:
    """Validate the config and device, create (or reopen and lock, to resume) the run folder, then check every
    input the stages still to run need (preflight.py): a problem fails the run at once (status "failed", the
    error recorded, nothing else written) and is raised to the caller (CLI error, run/start JSON-RPC error)."""
    if resume:
        run = RunFolder.open(run_dir)
        try:
            if run.removed_temps:
                log.info("removed %d temp file(s) an interrupted write left in %s", len(run.removed_temps), run.path)
            loaded = (
                load_run_config(config_path)
                if config_path
                else load_stored_config(run.path, run.record.get("configPath"))
            )
            devices.resolve_device(loaded.config["device"])
            run.reconcile_stages(loaded.config["stages"])
            if config_path:
                run.record["configPath"] = portable_path(loaded.path, run.path)
            run.record[CONFIG_BASE_KEY] = CONFIG_BASE_RUN  # config.json is rewritten relative to the run folder
            run.write_json("config.json", portable_config(loaded.config, loaded.base_dir, run.path))
            run.save()
            _preflight(run, loaded)
        except BaseException:
            run.close()
            raise
        return run, loaded
    if config_path is None:
        raise ConfigInvalid("no run config given", "pass the path of a run config file")
    loaded = load_run_config(config_path)
    devices.resolve_device(loaded.config["device"])
    run = RunFolder.create(
        run_dir,
        name=loaded.config["name"],
        synthetic=loaded.config.get("synthetic", False),
        stages=loaded.config["stages"],
        config=loaded.config,
        config_path=str(loaded.path) if loaded.path else None,
    )
    try:
        _preflight(run, loaded)
    except BaseException:
        run.close()
        raise
    return run, loaded


def _preflight(run: RunFolder, loaded: LoadedConfig) -> None:
    done = {e["id"] for e in run.record["stages"] if e["status"] == "completed"}
    try:
        check_inputs(loaded.config, lambda p: resolve_against(loaded.base_dir, p), skip=done)
    except EngineError as exc:
        if loaded.path is not None and not loaded.path.is_file():
            # A resumed run whose config is gone from where run.json says: the folder was moved or copied alone.
            exc.hint = (
                f"{exc.hint}; this run was started from {loaded.path}, which is not there now: if the run folder "
                "was moved or copied, move its inputs with it (paths inside the project are stored relative to the "
                f"run), or fix the paths in {run.path / 'config.json'}"
            ).lstrip("; ")
        elif loaded.path == run.path / "config.json":
            # Resumed from its own config.json, whose inputs inside the project are relative to the run folder.
            exc.hint = (
                f"{exc.hint}; {run.path / 'config.json'} names inputs inside the project relative to the run "
                "folder: if the run was moved or copied, move or copy those inputs with it (same places relative "
                "to the run), or fix the path in its config.json"
            ).lstrip("; ")
        _record_end(run, "failed", exc.to_record(), log)
        raise


def execute_run(
    run: RunFolder, loaded: LoadedConfig, cancel_event: threading.Event, events: RunEvents | None = None
) -> tuple[str, dict[str, str] | None]:
    """Run the stages in order (completed ones skipped); returns (status, error record). Closes the run."""
    events = events or RunEvents()
    logger, handler = _run_logger(run)
    metrics_log = MetricsLog(run.path, on_metrics=events.metrics)

    def stages() -> None:
        device = devices.resolve_device(loaded.config["device"])
        logger.info("run %s (%s) on %s", run.id, run.path, device)
        for stage in loaded.config["stages"]:
            _execute_stage(run, loaded, device, stage, cancel_event, events, metrics_log, logger)

    return drive_run(run, logger, handler, metrics_log, stages)


def drive_run(
    run: RunFolder,
    logger: logging.Logger,
    handler: logging.Handler | None,
    metrics_log: Any,
    stages: Callable[[], None],
) -> tuple[str, dict[str, str] | None]:
    """A run's lifecycle around `stages()`: status running -> completed | cancelled | failed; closes the run."""
    try:
        run.set_status("running")
        stages()
        run.set_status("completed")
        logger.info("run %s completed", run.id)
        return "completed", None
    except Cancelled:
        logger.info("run %s cancelled; resume continues from the last checkpoints", run.id)
        return _record_end(run, "cancelled", None, logger)
    except EngineError as exc:
        logger.error("run %s failed: %s (%s)", run.id, exc.message, exc.hint)
        return _record_end(run, "failed", exc.to_record(), logger)
    except Exception as exc:  # not a stage's (those become EngineErrors): still "failed" in run.json and to callers
        logger.error("run %s failed", run.id, exc_info=exc)
        error = EngineError(
            f"run {run.id} failed: {type(exc).__name__}: {exc}",
            f"see the traceback in {run.path / 'engine.log'}",
            run.path / "engine.log",
        )
        return _record_end(run, "failed", error.to_record(), logger)
    except BaseException:  # a second Ctrl-C: the last periodic checkpoints remain, so the run stays resumable
        _record_end(run, "cancelled", None, logger)
        raise
    finally:
        metrics_log.close()
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
        run.close()


def _record_end(
    run: RunFolder, status: str, error: dict[str, str] | None, logger: logging.Logger
) -> tuple[str, dict[str, str] | None]:
    """Write the final status; if run.json itself cannot be written, say so and still report the status."""
    try:
        run.set_status(status, error)
    except EngineError as exc:
        logger.error("cannot record status %s of run %s: %s", status, run.id, exc.message)
        error = error or exc.to_record()
    return status, error


def _execute_stage(
    run: RunFolder,
    loaded: LoadedConfig,
    device: torch.device,
    stage: dict[str, Any],
    cancel_event: threading.Event,
    events: RunEvents,
    metrics_log: MetricsLog,
    logger: logging.Logger,
) -> None:
    sid = stage["id"]
    if run.stage(sid)["status"] == "completed":
        logger.info("stage %s already completed, skipped", sid)
        return
    if cancel_event.is_set():
        raise Cancelled(f"run cancelled before stage '{sid}'")
    spec = stage_spec(stage["type"])
    assert spec is not None, stage["type"]  # checked when the config was loaded
    params = stage_params(stage)
    devices.seed_everything(int(loaded.config.get("seed", 0)))
    run.set_stage(sid, "running", started=utc_now(), finished=None, summary={})
    ctx = StageContext(run, loaded, device, stage, cancel_event, events, metrics_log, logger)
    logger.info("stage %s (%s) started", sid, stage["type"])
    try:
        summary = call_stage(spec.run, ctx, params)
    except Cancelled:
        ctx._throttle.flush()
        run.set_stage(sid, "cancelled", finished=utc_now())
        raise
    except (KeyboardInterrupt, SystemExit):  # a second Ctrl-C / SIGTERM inside the stage: not left "running"
        run.set_stage(sid, "cancelled", finished=utc_now())
        raise
    except Exception as exc:
        ctx._throttle.flush()
        error = _as_engine_error(exc, stage, run)
        if error is exc:
            logger.error("stage %s failed: %s", sid, exc.message)
            run.set_stage(sid, "failed", finished=utc_now(), summary={"error": error.to_record()})
            raise
        logger.error("stage %s failed", sid, exc_info=exc)  # the traceback goes to engine.log and stderr
        run.set_stage(sid, "failed", finished=utc_now(), summary={"error": error.to_record()})
        raise error from exc
    ctx._throttle.flush()
    run.set_stage(sid, "completed", finished=utc_now(), summary=summary)
    logger.info("stage %s completed", sid)


def call_stage(fn: StageFn, ctx: StageContext, params: dict[str, Any]) -> dict[str, Any]:
    """Run a stage function; its summary as plain JSON (a dict)."""
    summary = fn(ctx, params)
    summary = {} if summary is None else summary
    if not isinstance(summary, dict):
        raise TypeError(f"a stage must return a dict summary, got {type(summary).__name__}")
    return json.loads(json.dumps(summary, allow_nan=False, default=jsonable))


def _as_engine_error(exc: Exception, stage: dict[str, Any], run: RunFolder) -> EngineError:
    """Typed errors pass through; out-of-memory gets a hint on what to lower; anything else is StageFailed."""
    if isinstance(exc, EngineError):
        return exc
    oom = isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()
    if oom:
        return OutOfMemory(
            f"stage '{stage['id']}' ({stage['type']}) ran out of device memory: {str(exc).splitlines()[0][:300]}",
            'lower the stage\'s batch_size, or dataset.image_size, or use clip.precision "fp16"; or run on a '
            'device with more memory (set "device"); then resume the run',
            run.path / "engine.log",
        )
    return StageFailed(
        f"stage '{stage['id']}' ({stage['type']}) failed: {type(exc).__name__}: {exc}",
        f"see the traceback in {run.path / 'engine.log'}; fix the cause, then resume the run",
        run.path / "engine.log",
    )


def _run_logger(run: RunFolder) -> tuple[logging.Logger, logging.Handler | None]:
    """Logger `wsss_engine.run.<id>`: <run>/engine.log, and through its parents stderr."""
    logger = logging.getLogger(f"wsss_engine.run.{run.id}")
    logger.setLevel(logging.DEBUG)
    try:
        handler: logging.Handler | None = logging.FileHandler(run.path / "engine.log", encoding="utf-8")
    except OSError as exc:  # the run still goes on; its log is then only on stderr
        logger.error("cannot write %s: %s", run.path / "engine.log", exc)
        return logger, None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler
