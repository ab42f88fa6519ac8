"""The run API: `prepare_run` (validate, create or reopen the run folder, preflight) then `execute_run` (every
stage in order, through stage_runner.run_stage: resume, cancellation, failure recording); `drive_run` is the run
lifecycle both execute_run and torchrun's execute_distributed use (docs/ARCHITECTURE.md, "Run folder").

Callers that drive runs (the CLI, the JSON-RPC server's runs/active.py, synthetic/demo.py, experiments) use
these names; stage modules import wsss_engine.stage_context and wsss_engine.stage_registry instead, and
plugins may keep `wsss_engine.pipeline.register_stage` (re-exported)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from wsss_engine import device as devices
from wsss_engine.errors import Cancelled, ConfigInvalid, EngineError
from wsss_engine.preflight import check_inputs
from wsss_engine.run_config import config_file_problems, load_run_config, load_stored_config
from wsss_engine.runs.config import LoadedConfig
from wsss_engine.runs.events import ProgressThrottle, RunEvents
from wsss_engine.runs.metrics import MetricsLog
from wsss_engine.runs.portable_paths import CONFIG_BASE_KEY, CONFIG_BASE_RUN, portable_config, portable_path
from wsss_engine.runs.run_folder import RunFolder
from wsss_engine.runs.stage_changes import stale_message, stale_stages
from wsss_engine.stage_context import StageContext, resolve_against
from wsss_engine.stage_registry import StageFn, register_stage
from wsss_engine.stage_runner import run_stage

__all__ = [
    "StageContext",
    "StageFn",
    "RunEvents",
    "ProgressThrottle",
    "register_stage",
    "prepare_run",
    "execute_run",
    "drive_run",
    "record_end",
    "run_logger",
    "load_run_config",
    "load_stored_config",
    "config_file_problems",
]

log = logging.getLogger("wsss_engine.pipeline")


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
            if config_path:
                _refuse_stale_stages(run, loaded)
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


def _refuse_stale_stages(run: RunFolder, loaded: LoadedConfig) -> None:
    """A resume with a config whose stages differ from those that already ran is refused (runs/stage_changes.py),
    before anything in the folder changes. A stored config.json that no longer loads is not compared."""
    try:
        ran = load_stored_config(run.path, run.record.get("configPath"))
    except EngineError:
        return
    before = portable_config(ran.config, ran.base_dir, run.path)
    now = portable_config(loaded.config, loaded.base_dir, run.path)
    done = {e["id"] for e in run.record["stages"] if e["status"] == "completed"}
    stale = stale_stages(before, now, done)
    if stale:
        message, hint = stale_message(str(run.path), stale)
        raise ConfigInvalid(message, hint, loaded.path)


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
        record_end(run, "failed", exc.to_record(), log)
        raise


def execute_run(
    run: RunFolder, loaded: LoadedConfig, cancel_event: threading.Event, events: RunEvents | None = None
) -> tuple[str, dict[str, str] | None]:
    """Run the stages in order (completed ones skipped); returns (status, error record). Closes the run."""
    events = events or RunEvents()
    logger, handler = run_logger(run)
    metrics_log = MetricsLog(run.path, on_metrics=events.metrics)

    def stages() -> None:
        device = devices.resolve_device(loaded.config["device"])
        logger.info("run %s (%s) on %s", run.id, run.path, device)
        for stage in loaded.config["stages"]:
            ctx = StageContext(run, loaded, device, stage, cancel_event, events, metrics_log, logger)
            run_stage(ctx, loaded, logger)

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
        return record_end(run, "cancelled", None, logger)
    except EngineError as exc:
        logger.error("run %s failed: %s (%s)", run.id, exc.message, exc.hint)
        return record_end(run, "failed", exc.to_record(), logger)
    except Exception as exc:  # not a stage's (those become EngineErrors): still "failed" in run.json and to callers
        logger.error("run %s failed", run.id, exc_info=exc)
        error = EngineError(
            f"run {run.id} failed: {type(exc).__name__}: {exc}",
            f"see the traceback in {run.path / 'engine.log'}",
            run.path / "engine.log",
        )
        return record_end(run, "failed", error.to_record(), logger)
    except BaseException:  # a second Ctrl-C: the last periodic checkpoints remain, so the run stays resumable
        record_end(run, "cancelled", None, logger)
        raise
    finally:
        metrics_log.close()
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
        run.close()


def record_end(
    run: RunFolder, status: str, error: dict[str, str] | None, logger: logging.Logger
) -> tuple[str, dict[str, str] | None]:
    """Write the final status; if run.json itself cannot be written, say so and still report the status."""
    try:
        run.set_status(status, error)
    except EngineError as exc:
        logger.error("cannot record status %s of run %s: %s", status, run.id, exc.message)
        error = error or exc.to_record()
    return status, error


def run_logger(run: RunFolder) -> tuple[logging.Logger, logging.Handler | None]:
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
