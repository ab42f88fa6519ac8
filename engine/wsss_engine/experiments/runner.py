"""An experiment folder and its runs (docs/EXPERIMENTS.md):

  <exp>/experiment.json        state: the plan (units in execution order), each unit's status, the experiment's
  <exp>/configs/<unit>.json    the run config each unit runs (shared units: shared__<run>.json)
  <exp>/shared/<run>/          run folders of the stages shared across variants (share.py)
  <exp>/runs/<variant>-s<seed>/  one run folder per variant and seed
  <exp>/table.md|csv|tex       the aggregated table, written when every run has completed (and by `table`)

Units run in order, one at a time; a stop cancels the running one (it saves its checkpoint). Resume skips
completed runs, resumes the interrupted one from its checkpoints (the pipeline's resume) and goes on. The
folder is locked (<exp>/.lock) while a runner works in it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

from ..errors import EngineError, RunFolderError, RunNotFound
from ..json_input import JsonInputError
from ..runs.run_folder import RunLock, atomic_write_json, read_json, utc_now
from .expand import expand
from .parallel import gpu_slots, run_parallel
from .run_api import run_status, run_unit
from .share import plan_units
from .spec import load_experiment

log = logging.getLogger("wsss_engine.experiments")
STATE = "experiment.json"
FORMAT_VERSION = 1

UnitEvents = Callable[[dict[str, Any]], Any]  # unit entry -> the pipeline events object of its run


def create_experiment(exp_file: str | Path, exp_dir: str | Path, log_line=None) -> dict[str, Any]:
    """Expand and validate every variant, plan the units and write the folder; nothing runs yet. A folder that
    already holds an experiment is refused (resume it instead)."""
    exp = load_experiment(exp_file)
    exp_dir = Path(exp_dir).absolute()
    if (exp_dir / STATE).exists():
        raise RunFolderError(
            f"{exp_dir} already holds an experiment",
            "resume it (experiment resume / WSSS: Resume Experiment), or choose another folder",
            exp_dir,
        )
    planned = expand(exp, log_line)  # ConfigInvalid naming the variant before anything is written
    units = plan_units(planned, exp_dir, exp.share)
    exp_dir.mkdir(parents=True, exist_ok=True)
    entries = []
    for unit in units:
        if unit.kind == "shared":
            unit.config["name"] = f"{exp.name}: {unit.config['name']}"
        config = Path("configs") / (unit.name.replace("/", "__") + ".json")
        (exp_dir / config).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(exp_dir / config, unit.config)
        entries.append(
            {
                "name": unit.name,
                "kind": unit.kind,
                "variant": unit.variant,
                "seed": unit.seed,
                "runDir": unit.name,
                "config": str(config),
                "stages": [s["id"] for s in unit.config["stages"]],
                "needs": unit.needs,
                "status": "pending",
                "runId": None,
            }
        )
    state = {
        "formatVersion": FORMAT_VERSION,
        "name": exp.name,
        "description": exp.description,
        "experimentFile": str(exp.path),
        "created": utc_now(),
        "updated": utc_now(),
        "status": "created",
        "seeds": list(exp.seeds),
        "reference": exp.reference,
        "figures": exp.figures,
        "publishedSource": exp.published_source,
        "variants": [{"name": v.name, "label": v.label, "published": v.published} for v in exp.variants],
        "units": entries,
        "error": None,
    }
    atomic_write_json(exp_dir / STATE, state)
    return state


def read_state(exp_dir: str | Path) -> dict[str, Any]:
    """experiment.json with each unit's status refreshed from its run.json."""
    exp_dir = Path(exp_dir)
    try:
        state = read_json(exp_dir / STATE)
    except (OSError, JsonInputError) as exc:
        raise RunNotFound(
            f"{exp_dir} holds no readable experiment ({STATE}: {exc})",
            "start the experiment first (experiment run FILE), or choose its folder",
            exp_dir,
        ) from None
    for unit in state["units"]:
        status = run_status(exp_dir / unit["runDir"])
        if status is not None and unit["status"] != "failed":
            unit["status"] = "pending" if status == "created" else status
    return state


def _save(exp_dir: Path, state: dict[str, Any]) -> None:
    state["updated"] = utc_now()
    atomic_write_json(exp_dir / STATE, state)


def run_experiment(
    exp_dir: str | Path,
    cancel: threading.Event | None = None,
    events: UnitEvents | None = None,
    parallel: int | None = None,
) -> dict[str, Any]:
    """Run every unit not yet completed, in order; returns the final state. The first failure stops the
    experiment (later runs may need its artefacts); a cancel stops it after saving the running run.
    `parallel` None: one run per GPU where the machine has several (parallel.py), else one at a time in this
    process; N > 1: N run processes at once; 1: one at a time."""
    exp_dir = Path(exp_dir).absolute()
    cancel = cancel or threading.Event()
    lock = RunLock(exp_dir / ".lock")
    state = read_state(exp_dir)
    lock.acquire()
    try:
        state["status"], state["error"] = "running", None
        _save(exp_dir, state)
        slots = _slots(exp_dir, state, parallel)
        save = lambda: _save(exp_dir, state)  # noqa: E731
        state["status"], state["error"] = (
            run_parallel(exp_dir, state["units"], slots, cancel, save)
            if len(slots) > 1
            else _run_in_order(exp_dir, state, cancel, events, save)
        )
        if state["status"] == "completed":
            write_tables(exp_dir, state)  # before the state says so: whoever sees "completed" finds the table
        _save(exp_dir, state)
    except EngineError as exc:
        state["status"], state["error"] = "failed", exc.to_record()
        _save(exp_dir, state)
    finally:
        lock.release()
    return state


def _run_in_order(
    exp_dir: Path, state: dict[str, Any], cancel: threading.Event, events: UnitEvents | None, save: Callable[[], None]
) -> tuple[str, dict[str, Any] | None]:
    """One unit after the other in this process; (experiment status, error) at the first that does not complete."""
    for unit in state["units"]:
        if unit["status"] == "completed":
            continue
        if cancel.is_set():
            return "cancelled", None
        unit["status"] = "running"
        save()
        log.info("experiment %s: %s", state["name"], unit["name"])
        status, error, run_id = run_unit(
            exp_dir / unit["config"], exp_dir / unit["runDir"], cancel, events(unit) if events else None
        )
        unit["status"], unit["runId"] = status, run_id or unit["runId"]
        if status != "completed":
            return status, error and {**error, "unit": unit["name"]}
    return "completed", None


def _slots(exp_dir: Path, state: dict[str, Any], parallel: int | None) -> list[str | None]:
    if parallel is not None:
        return [None] * max(1, parallel)
    configs = [read_json(exp_dir / u["config"]) for u in state["units"] if u["status"] != "completed"]
    return gpu_slots(configs) if configs else []


def write_tables(exp_dir: str | Path, state: dict[str, Any] | None = None) -> dict[str, Path]:
    """<exp>/table.json|md|csv|tex from the runs' evaluate reports (whatever runs have completed)."""
    from .aggregate import aggregate
    from .export import write_all

    exp_dir = Path(exp_dir)
    return write_all(aggregate(state or read_state(exp_dir), exp_dir), exp_dir)
