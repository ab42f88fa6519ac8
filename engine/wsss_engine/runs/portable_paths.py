"""Paths a run folder or a run config stores, kept portable (issue 13, "Run folders must be portable"): a path
inside the project (by default the folder PROJECT_LEVELS above the run folder: <project>/runs/<run>, or the demo
folder above runs/demo/<variant>) is written relative to the folder it is resolved against (the run folder for
run.json's configPath; the demo's configs/ for the stage paths it writes) and resolved against it on read, so a
copied or moved project points at its own files, not the original's. Paths outside it (a dataset or a cache
elsewhere) stay absolute. A run's config.json keeps its resolved, absolute paths: it is read on its own too
(synonyms/score on a folder without run.json), where a relative path would have no base.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_LEVELS = 2


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
