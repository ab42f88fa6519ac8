"""Preflight: before any stage of a run runs (on start and on resume), every stage that will run checks the
inputs it needs that no earlier stage of the same run produces, and all problems are reported together
(issue 12 item 7), so a missing bank or weights file fails the run at once instead of hours later.

A stage function may carry `run.preflight = check` (as plugins set `fn.all_ranks = True`), where
`check(config, params, resolve_path) -> None` raises an EngineError, or a `Problems` aggregate of several, for
each missing or broken input. `params` are the stage's params with schema defaults filled; a param naming an
earlier stage's id of the same run is not a file and is skipped (`stage_ids(config)`). Checks must be fast:
no model construction; weights are checked by path or cache presence (wsss_engine/stages/inputs.py has the
shared checks: dataset, bank, CLIP, backbone weights, checkpoints, artefact folders, packages).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from wsss_engine.errors import ConfigInvalid, EngineError, StageFailed
from wsss_engine.runs.config import stage_params
from wsss_engine.stage_registry import stage_spec

log = logging.getLogger("wsss_engine.preflight")

ResolvePath = Callable[[str], Path]
PreflightFn = Callable[[dict, dict, ResolvePath], None]

# What checks may share within one pass (e.g. a dataset several stages read is built once); emptied before
# and after every pass, so a long-lived engine never answers from a stale view of the files.
memo: dict[Any, Any] = {}
_pass_lock = threading.Lock()  # one pass at a time (the server may start two runs at once)


class Problems(ConfigInvalid):
    """Several input problems found by one check, raised together (an EngineError itself, so a check that
    raises it "raises an EngineError"); `add` / `collect` gather them, `problems` lists them."""

    def __init__(self) -> None:
        super().__init__("several input problems", "fix each of them")
        self.problems: list[EngineError] = []

    def add(self, error: EngineError) -> None:
        self.problems.extend(error.problems if isinstance(error, Problems) else [error])

    def collect(self, check: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one check; an EngineError it raises is kept (and None returned) instead of stopping the others."""
        try:
            return check(*args, **kwargs)
        except EngineError as exc:
            self.add(exc)
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise self


def check_inputs(config: dict[str, Any], resolve_path: ResolvePath, skip: set[str] = frozenset()) -> None:
    """Run the preflight of every stage not in `skip` (completed ones, on resume); raise one error for all
    problems: the problem itself when there is one, else ConfigInvalid listing each (with its stage)."""
    with _pass_lock:
        memo.clear()
        try:
            found = _problems(config, resolve_path, skip)
        finally:
            memo.clear()
    if not found:
        return
    if len(found) == 1:
        error, stages, _ = next(iter(found.values()))
        error.message = f"{_who(stages)}: {error.message} (checked before any stage ran)"
        error.args = (error.message,)
        raise error
    errors = [
        {
            "path": f"/stages/{index}",
            "kind": e.kind,
            **({"file": e.path} if e.path else {}),
            "message": f"{_who(stages)}: {e.message}" + (f" ({e.hint})" if e.hint else ""),
        }
        for e, stages, index in found.values()
    ]
    listing = "; ".join(f"({n}) {p['message']}" for n, p in enumerate(errors, 1))
    raise ConfigInvalid(
        f"{len(errors)} problems with this run's inputs, found before any stage ran: {listing}",
        "fix each problem listed (files, banks, weights, dataset), then start the run again (or resume it)",
        errors=errors,
    )


def _problems(
    config: dict[str, Any], resolve_path: ResolvePath, skip: set[str]
) -> dict[tuple[str, str], tuple[EngineError, list[str], int]]:
    """(kind, message) -> (error, ids of the stages that found it, index of the first)."""
    found: dict[tuple[str, str], tuple[EngineError, list[str], int]] = {}
    for index, stage in enumerate(config.get("stages", [])):
        if stage["id"] in skip:
            continue
        spec = stage_spec(stage["type"])
        check: PreflightFn | None = getattr(spec.run, "preflight", None) if spec else None
        if check is None:
            continue
        problems = Problems()
        try:
            check(config, stage_params(stage), resolve_path)
        except EngineError as exc:
            problems.add(exc)
        except Exception as exc:  # a bug in a check must not hide the other stages' problems
            log.exception("preflight of stage %s failed", stage["id"])
            problems.add(
                StageFailed(
                    f"the input check of stage '{stage['id']}' ({stage['type']}) failed: {type(exc).__name__}: {exc}",
                    "see the engine log for the traceback",
                )
            )
        for error in problems.problems:  # the same missing file named by several stages is one problem
            entry = found.setdefault((error.kind, error.message), (error, [], index))
            entry[1].append(stage["id"])
    return found


def _who(stages: list[str]) -> str:
    return ("stage " if len(stages) == 1 else "stages ") + ", ".join(f"'{s}'" for s in stages)
