"""The experiment runner's one coupling to the pipeline (prepare_run / execute_run today; issue 14 makes these
a public "run a stage" / run API: only this file changes with it)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ..errors import EngineError
from ..json_input import JsonInputError
from ..runs.run_folder import read_json


def run_status(run_dir: Path) -> str | None:
    """A run folder's status from its run.json, None when it has none (never started) or it is unreadable."""
    try:
        return read_json(run_dir / "run.json").get("status")
    except (OSError, JsonInputError, AttributeError):
        return None


def run_unit(
    config_path: Path, run_dir: Path, cancel: threading.Event, events: Any = None
) -> tuple[str, dict[str, Any] | None, str | None]:
    """Run (or resume, when run.json exists) one run folder to its end: (status, error record, run id).
    A run whose start fails (preflight, locked folder) is "failed" with that error; nothing is raised."""
    from ..pipeline import execute_run, prepare_run

    resume = (Path(run_dir) / "run.json").is_file()
    try:
        run, loaded = prepare_run(config_path, run_dir, resume)
    except EngineError as exc:
        return "failed", exc.to_record(), None
    status, error = execute_run(run, loaded, cancel, events)
    return status, error, run.id
