"""Paths a run folder or a run config stores, kept portable (issue 13, "Run folders must be portable"): a path
inside the project (at most PROJECT_LEVELS folders above the folder it is stored in: a run's runs directory
and that folder's parent, or a demo's output folder) is written relative to that folder and resolved against it
on read, so a copied or moved project points at its own files, not the original's. Paths outside it (a dataset
or a cache elsewhere) stay absolute.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_LEVELS = 2


def portable_path(target: str | Path, base_dir: str | Path) -> str:
    """`target` relative to `base_dir` when it lies at most PROJECT_LEVELS folders above it, else absolute."""
    target = Path(target).absolute()
    try:
        rel = os.path.relpath(target, Path(base_dir).absolute())
    except ValueError:  # another drive (Windows)
        return str(target)
    parts = Path(rel).parts
    ups = next((i for i, p in enumerate(parts) if p != ".."), len(parts))
    return rel if ups <= PROJECT_LEVELS else str(target)


def resolve_stored(stored: str | Path, base_dir: str | Path) -> Path:
    """A stored path as an absolute one: relative ones against the folder they were stored in."""
    p = Path(os.path.expanduser(str(stored)))
    return p if p.is_absolute() else (Path(base_dir).absolute() / p).resolve()
