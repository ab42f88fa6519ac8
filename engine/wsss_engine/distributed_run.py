"""A run under torchrun (`torchrun --nproc_per_node N -m wsss_engine run ...`, WORLD_SIZE > 1), the same config
as a single-process run (docs/ARCHITECTURE.md, "Multi-GPU runs").

Rank 0 owns the run folder (creates or reopens it, holds the lock, writes run.json, metrics, checkpoints,
reports); the other ranks see it through a RunFolderView (no lock, writes go nowhere) and re-read run.json
after every stage. Training stages and infer_cams run on every rank (DDP; infer_cams splits the image list);
every other stage runs on rank 0 while the others wait. After each stage the ranks post their outcome to the
store; rank 0 records the combined one (a failure on any rank fails the run with that rank's error) and
announces it, so every rank ends the same way: exit 0 completed, 1 failed, 130 cancelled.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from wsss_engine import device as devices
from wsss_engine.errors import Cancelled, EngineError, RunNotFound, StageFailed
from wsss_engine.pipeline import drive_run, load_run_config, load_stored_config, prepare_run, record_end, run_logger
from wsss_engine.runs.config import LoadedConfig
from wsss_engine.runs.events import RunEvents
from wsss_engine.runs.metrics import MetricsLog
from wsss_engine.runs.rank_sync import PeerTimeout, RankSync, default_store
from wsss_engine.runs.run_folder import RunFolder, RunFolderView, read_json, utc_now
from wsss_engine.stage_context import StageContext
from wsss_engine.stage_runner import attempt_stage, begin_stage, record_outcome
from wsss_engine.training.distributed import DistInfo, init_distributed

log = logging.getLogger("wsss_engine.distributed")

# Stage types every rank runs (the others run on rank 0 only). A plugin stage joins with `fn.all_ranks = True`.
ALL_RANK_STAGES = {"baseline_cam", "train_clims", "infer_cams"}
EXIT_OK, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 130


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


class _NoMetrics:
    """Metrics of ranks other than 0 go nowhere (rank 0 logs them)."""

    def log(self, stage_id: str, step: int, values: dict[str, Any]) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def run_distributed(
    config_path: str | None, run_dir: str, resume: bool, cancel: threading.Event, events: RunEvents | None = None
) -> tuple[int, str | None]:
    """This rank's part of the run; returns (exit code, run id). Rank 0 prints errors, the others stay quiet."""
    rank = int(os.environ.get("RANK", "0"))
    try:  # every rank reads the config (read-only) to pick its device and the process group's backend
        pre = _read_config(config_path, run_dir, resume)
        device = devices.resolve_device(pre.config["device"])
    except EngineError as exc:
        return _fail_early(exc, rank), None
    info, device = init_distributed(device)
    sync = RankSync(default_store(), info.rank, info.world, cancel)
    sync.start_watchdog()
    try:
        run, loaded = _open_run(sync, info, config_path, run_dir, resume)
        if run is None:
            return EXIT_FAILED, None
        status = execute_distributed(run, loaded, device, info, sync, cancel, events)
        return {"completed": EXIT_OK, "cancelled": EXIT_CANCELLED}.get(status, EXIT_FAILED), run.id
    finally:
        sync.stop_watchdog()
        _leave_group()


def _read_config(config_path: str | None, run_dir: str, resume: bool) -> LoadedConfig:
    if config_path:
        return load_run_config(config_path)
    record = read_json(Path(run_dir) / "run.json") if (Path(run_dir) / "run.json").is_file() else {}
    if not resume or not record:
        raise RunNotFound(
            f"no run in {Path(run_dir).absolute()} (run.json is missing)", "pass --config to start a new run", run_dir
        )
    return load_stored_config(Path(run_dir).absolute(), record.get("configPath"))


def _fail_early(exc: EngineError, rank: int) -> int:
    if rank == 0:
        print(f"error: {exc.message}" + (f"\nhint: {exc.hint}" if exc.hint else ""), file=sys.stderr)
    return EXIT_FAILED


def _open_run(
    sync: RankSync, info: DistInfo, config_path: str | None, run_dir: str, resume: bool
) -> tuple[RunFolder | None, LoadedConfig | None]:
    """Rank 0 creates (or reopens) and locks the run folder; the others read it once rank 0 says so."""
    if info.is_main:
        try:
            run, loaded = prepare_run(config_path, run_dir, resume)
        except EngineError as exc:
            sync.announce("prepare", {"ok": False})
            _fail_early(exc, 0)
            return None, None
        sync.announce("prepare", {"ok": True, "path": str(run.path)})
        return run, loaded
    answer = sync.receive("prepare")
    if not answer["ok"]:
        return None, None
    view = RunFolderView.read(answer["path"])
    return view, load_stored_config(view.path, view.record.get("configPath"))


def execute_distributed(
    run: RunFolder,
    loaded: LoadedConfig,
    device,
    info: DistInfo,
    sync: RankSync,
    cancel: threading.Event,
    events: RunEvents | None = None,
) -> str:
    """execute_run's torchrun counterpart: run.json is written by rank 0 only. Returns the run's status."""
    events = events if info.is_main and events is not None else RunEvents()
    logger, handler = _rank_logger(run, info)
    metrics_log: Any = MetricsLog(run.path, on_metrics=events.metrics) if info.is_main else _NoMetrics()
    if info.is_main:
        sync.on_stuck = lambda failure: _record_stuck(run, failure, logger)

    def stages() -> None:  # rank 0 writes run.json; a RunFolderView's writes go nowhere
        logger.info("run %s (%s): rank %d of %d on %s", run.id, run.path, info.rank, info.world, device)
        for stage in loaded.config["stages"]:
            _stage_on_ranks(run, loaded, device, info, sync, stage, cancel, events, metrics_log, logger)

    return drive_run(run, logger, handler, metrics_log, stages)[0]


def _stage_on_ranks(
    run: RunFolder,
    loaded: LoadedConfig,
    device,
    info: DistInfo,
    sync: RankSync,
    stage: dict[str, Any],
    cancel: threading.Event,
    events: RunEvents,
    metrics_log: Any,
    logger: logging.Logger,
) -> None:
    sid = stage["id"]
    # every rank starts it, or none does
    spec = begin_stage(run, loaded, stage, logger, lambda: any(sync.all_gather(f"stage/{sid}/start", cancel.is_set())))
    if spec is None:
        return
    everywhere = bool(getattr(spec.run, "all_ranks", spec.type_name in ALL_RANK_STAGES))
    outcome: dict[str, Any] = {"status": "completed", "summary": {}}
    if everywhere or info.is_main:
        ctx = StageContext(run, loaded, device, stage, cancel, events, metrics_log, logger, dist=info, sync=sync)
        logger.info("stage %s (%s) started on %s", sid, stage["type"], "every rank" if everywhere else "rank 0")
        sync.in_stage = True
        try:
            result = attempt_stage(spec, ctx, logger, where=f" on rank {info.rank}")
        finally:
            sync.in_stage = False
        outcome = {"status": result.status, "summary": result.summary}
        if result.error is not None:
            outcome = {"status": "failed", "error": _from_rank(result.error.to_record(), info.rank, run.path)}
            sync.publish_failure(outcome["error"])
    decision = _agree(run, sync, info, sid, outcome, logger)
    if decision["status"] == "cancelled":
        raise Cancelled(f"run cancelled during stage '{sid}'")
    if decision["status"] == "failed":
        record = decision["error"]
        error = StageFailed(record["message"], record.get("hint", ""), record.get("path"))
        error.kind = record.get("kind", error.kind)
        raise error
    logger.info("stage %s completed", sid)


def _agree(
    run: RunFolder, sync: RankSync, info: DistInfo, sid: str, outcome: dict[str, Any], logger: logging.Logger
) -> dict[str, Any]:
    """Every rank posts its outcome; rank 0 records the combined one in run.json and announces it."""
    tag = f"stage/{sid}/end"
    outcomes = sync.gather_to_main(tag, outcome)
    if info.is_main:
        assert outcomes is not None
        decision = _combine(outcomes, sync)
        record_outcome(run, sid, decision["status"], outcome.get("summary", {}), decision.get("error"))
        sync.announce(tag, decision)  # after run.json is written: the others re-read it
        return decision
    try:
        decision = sync.receive(tag)
    except PeerTimeout as exc:
        return {"status": "failed", "error": exc.to_record()}
    assert isinstance(run, RunFolderView)
    run.reload()
    return decision


def _combine(outcomes: list[dict[str, Any] | None], sync: RankSync) -> dict[str, Any]:
    """A failure anywhere fails the stage (the first flagged failure's error); a rank that never reported
    counts as failed; otherwise any cancellation cancels it."""
    failed = sync.failure()
    if failed is not None:
        return {"status": "failed", "error": failed["error"]}
    missing = [r for r, o in enumerate(outcomes) if o is None]
    if missing:
        return {
            "status": "failed",
            "error": PeerTimeout(
                f"rank(s) {missing} did not finish the stage (the process exited or hangs)",
                "see those ranks' stderr (torchrun prints it); fix the cause, then resume the run",
            ).to_record(),
        }
    for o in outcomes:
        if o and o["status"] == "failed":
            return {"status": "failed", "error": o["error"]}
    if any(o and o["status"] == "cancelled" for o in outcomes):
        return {"status": "cancelled"}
    return {"status": "completed"}


def rank_log_name(rank: int) -> str:
    return "engine.log" if rank == 0 else f"engine.rank{rank}.log"


def _from_rank(record: dict[str, Any], rank: int, run_path: Path) -> dict[str, Any]:
    """A rank's error record as the run's: the message names the rank, the hint and path its own log."""
    if rank == 0:
        return record
    own, log_path = str(run_path / "engine.log"), str(run_path / rank_log_name(rank))
    out = {
        **record,
        "message": f"rank {rank}: {record['message']}",
        "hint": record.get("hint", "").replace(own, log_path),
    }
    if record.get("path") == own:
        out["path"] = log_path
    return out


def _record_stuck(run: RunFolder, failure: dict[str, Any] | None, logger: logging.Logger) -> None:
    """Watchdog on rank 0, stuck in a collective after a peer failed: record the failure, then the process ends."""
    error = (failure or {}).get("error") or {"kind": "StageFailed", "message": "another rank failed", "hint": ""}
    for entry in run.record["stages"]:
        if entry["status"] == "running":
            entry.update(status="failed", finished=utc_now(), summary={"error": error})
    record_end(run, "failed", error, logger)


def _rank_logger(run: RunFolder, info: DistInfo) -> tuple[logging.Logger, logging.Handler | None]:
    """Rank 0: the run's logger (engine.log); rank N: <run>/engine.rankN.log (its tracebacks) and stderr."""
    if info.is_main:
        return run_logger(run)
    logger = logging.getLogger(f"wsss_engine.run.{run.id}.rank{info.rank}")
    logger.setLevel(logging.DEBUG)
    try:
        handler: logging.Handler | None = logging.FileHandler(run.path / rank_log_name(info.rank), encoding="utf-8")
    except OSError as exc:
        logger.error("cannot write %s: %s", run.path / rank_log_name(info.rank), exc)
        return logger, None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger, handler


def _leave_group() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
