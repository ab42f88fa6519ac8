"""Paths a run folder or a run config stores, kept portable (issue 13, "Run folders must be portable"): a path
inside the project (by default the folder PROJECT_LEVELS above the run folder: <project>/runs/<run>, or the demo
folder above runs/demo/<variant>) is written relative to the folder it is resolved against (the run folder for
run.json's configPath; the demo's configs/ for the stage paths it writes) and resolved against it on read, so a
copied or moved project points at its own files, not the original's. Paths outside it (a dataset or a cache
elsewhere) stay absolute.

A run's own config.json (portable_config) stores its paths relative to the run folder itself, so it is read on its
own too (synonyms/score, the extension's panels: config.json's folder is the base); run.json marks such runs
"configBase": "run". Runs written before that keep absolute dataset/bank/CLIP paths and resolve their other
relative paths against the folder of run.json's configPath (stored_config_base), as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PROJECT_LEVELS = 2
CONFIG_BASE_KEY = "configBase"  # run.json: "run" = config.json's relative paths resolve against the run folder
CONFIG_BASE_RUN = "run"


def project_of(run_dir: str | Path) -> Path:
    """The project a run folder belongs to: PROJECT_LEVELS folders above it."""
    parents = Path(run_dir).absolute().parents
    return parents[min(PROJECT_LEVELS, len(parents)) - 1]


def portable_path(target: str | Path, base_dir: str | Path, project: str | Path | None = None) -> str:
    """`target` relative to `base_dir` when both lie inside `project` (default: project_of(base_dir)), else
    absolute."""
    target, base = Path(target).absolute(), Path(base_dir).absolute()
    root = Path(project).absolute() if project is not None else project_of(base)
    if not (target.is_relative_to(root) and base.is_relative_to(root)):
        return str(target)
    try:
        return os.path.relpath(target, base)
    except ValueError:  # another drive (Windows)
        return str(target)


def resolve_stored(stored: str | Path, base_dir: str | Path) -> Path:
    """A stored path as an absolute one: relative ones against the folder they were stored in."""
    p = Path(os.path.expanduser(str(stored)))
    return p if p.is_absolute() else (Path(base_dir).absolute() / p).resolve()


def stored_config_base(run_dir: str | Path, record: dict[str, Any]) -> Path:
    """The folder a run's config.json's relative paths resolve against: the run folder (runs marked
    configBase "run", or without a configPath), else (older runs) the folder of run.json's configPath."""
    config_path = record.get("configPath")
    if record.get(CONFIG_BASE_KEY) == CONFIG_BASE_RUN or not isinstance(config_path, str) or not config_path:
        return Path(run_dir).absolute()
    return resolve_stored(config_path, run_dir).parent


def portable_config(config: dict[str, Any], base_dir: str | Path, run_dir: str | Path) -> dict[str, Any]:
    """The config as the run folder stores it (config.json, read with base = the run folder): every absolute path
    inside the run's project made relative to the run folder, and every relative path that names an existing file
    or folder against `base_dir` (the config's own folder, where the user's relative paths point) rebased onto the
    run folder (absolute when outside the project). Other strings (stage ids, list names, model names) are kept."""
    run, base = Path(run_dir).absolute(), Path(base_dir).absolute()
    stage_ids = {s.get("id") for s in config.get("stages", []) if isinstance(s, dict)}

    def store(value: str) -> str:
        if os.path.isabs(value):
            return portable_path(value, run)
        if base == run or value in stage_ids or not value or not (base / value).exists():
            return value
        return portable_path((base / value).resolve(), run)

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return store(value) if isinstance(value, str) else value

    return walk(config)
