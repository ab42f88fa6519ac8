"""Running one stage of a run: the one way both the single-process pipeline (pipeline.py) and torchrun
(distributed_run.py) execute a stage — skip it when completed, seed, mark it running, call it with a
StageContext, turn what it raised into a typed error, record how it ended (docs/ARCHITECTURE.md, "StageContext").

`run_stage` does all of it in one process. Under torchrun the ranks agree on the outcome between
`attempt_stage` and `record_outcome`, so distributed_run.py calls the three steps itself."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from wsss_engine import device as devices
from wsss_engine.errors import Cancelled, EngineError, OutOfMemory, StageFailed
from wsss_engine.runs.config import LoadedConfig, stage_params
from wsss_engine.runs.run_folder import RunFolder, jsonable, utc_now
from wsss_engine.stage_context import StageContext
from wsss_engine.stage_registry import StageFn, StageSpec, stage_spec

__all__ = ["StageOutcome", "begin_stage", "attempt_stage", "record_outcome", "run_stage", "call_stage"]


@dataclass
class StageOutcome:
    """How one stage execution ended: "completed" (with its JSON summary), "cancelled" or "failed" (with the
    typed error; `cause` is what the stage raised when it was not an EngineError itself)."""

    status: str
    summary: dict[str, Any] = field(default_factory=dict)
    error: EngineError | None = None
    cause: BaseException | None = None

    def raise_if_not_completed(self) -> None:
        if self.status == "completed":
            return
        if self.error is None:  # cancelled
            raise self.cause if self.cause is not None else Cancelled("run cancelled")
        if self.cause is not None and self.cause is not self.error:
            raise self.error from self.cause
        raise self.error


def begin_stage(
    run: RunFolder,
    loaded: LoadedConfig,
    stage: dict[str, Any],
    logger: logging.Logger,
    cancelled: Callable[[], bool],
) -> StageSpec | None:
    """None when the stage already completed (resume skips it); Cancelled when the run was cancelled before
    it; otherwise seed the RNGs, mark it running in run.json and return its implementation."""
    sid = stage["id"]
    if run.stage(sid)["status"] == "completed":
        logger.info("stage %s already completed, skipped", sid)
        return None
    if cancelled():
        raise Cancelled(f"run cancelled before stage '{sid}'")
    spec = stage_spec(stage["type"])
    assert spec is not None, stage["type"]  # checked when the config was loaded
    devices.seed_everything(int(loaded.config.get("seed", 0)))
    run.set_stage(sid, "running", started=utc_now(), finished=None, summary={})
    return spec


def attempt_stage(spec: StageSpec, ctx: StageContext, logger: logging.Logger, where: str = "") -> StageOutcome:
    """Call the stage; its outcome, any exception it raised as a typed error (the traceback of an untyped one
    goes to `logger`; `where` says which rank). A second Ctrl-C / SIGTERM (KeyboardInterrupt, SystemExit)
    propagates."""
    sid = ctx.stage_id
    try:
        summary = call_stage(spec.run, ctx, stage_params(ctx.stage))
    except Cancelled as exc:
        return StageOutcome("cancelled", cause=exc)
    except Exception as exc:
        error = as_engine_error(exc, ctx.stage, ctx.run)
        if error is exc:
            logger.error("stage %s failed%s: %s", sid, where, error.message)
        else:
            logger.error("stage %s failed%s", sid, where, exc_info=exc)  # the traceback: engine.log and stderr
        return StageOutcome("failed", error=error, cause=exc)
    finally:
        ctx.flush_progress()
    return StageOutcome("completed", summary=summary)


def record_outcome(run: RunFolder, sid: str, status: str, summary: dict[str, Any], error: dict | None) -> None:
    """The stage's end in run.json: completed with its summary, failed with the error record, or cancelled."""
    if status == "completed":
        run.set_stage(sid, "completed", finished=utc_now(), summary=summary)
    elif status == "failed":
        run.set_stage(sid, "failed", finished=utc_now(), summary={"error": error})
    else:
        run.set_stage(sid, "cancelled", finished=utc_now())


def run_stage(ctx: StageContext, loaded: LoadedConfig, logger: logging.Logger) -> None:
    """Run the stage `ctx` is for, in this process: skip it when completed, else run and record it; raises
    Cancelled or the stage's EngineError (the run driver records the run's end)."""
    run, sid = ctx.run, ctx.stage_id
    spec = begin_stage(run, loaded, ctx.stage, logger, lambda: ctx.cancelled)
    if spec is None:
        return
    logger.info("stage %s (%s) started", sid, ctx.stage["type"])
    try:
        outcome = attempt_stage(spec, ctx, logger)
    except (KeyboardInterrupt, SystemExit):  # a second Ctrl-C / SIGTERM inside the stage: not left "running"
        record_outcome(run, sid, "cancelled", {}, None)
        raise
    record_outcome(run, sid, outcome.status, outcome.summary, outcome.error and outcome.error.to_record())
    outcome.raise_if_not_completed()
    logger.info("stage %s completed", sid)


def call_stage(fn: StageFn, ctx: StageContext, params: dict[str, Any]) -> dict[str, Any]:
    """Run a stage function; its summary as plain JSON (a dict)."""
    summary = fn(ctx, params)
    summary = {} if summary is None else summary
    if not isinstance(summary, dict):
        raise TypeError(f"a stage must return a dict summary, got {type(summary).__name__}")
    return json.loads(json.dumps(summary, allow_nan=False, default=jsonable))


def as_engine_error(exc: Exception, stage: dict[str, Any], run: RunFolder) -> EngineError:
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
