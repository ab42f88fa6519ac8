"""The temp files of our atomic writes (temp + rename) inside a run folder, and removing the ones a crash left.

A process killed between writing a temp file and renaming it leaves the temp behind (as large as a checkpoint).
Only the engine holding the run's lock may remove them (nothing else writes that run then), so RunFolder does it
when it creates or reopens a run. Only names of these patterns are touched, never a user's file.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

# Every temp name the engine writes inside a run folder (keep in step with the writers):
TEMP_PATTERNS = (
    re.compile(r"^\..+\.\d+\.\d+\.tmp$"),  # atomic_write_bytes: .<name>.<pid>.<thread>.tmp
    re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$"),  # data/cam_files.py save_cam: mkstemp .<id>.XXXXXXXX.tmp
    re.compile(r"^\.cam_model\.[A-Za-z0-9_]{8}\.onnx$"),  # stages/export_onnx.py: mkstemp .cam_model.XXXXXXXX.onnx
)


def temp_name(path: Path) -> Path:
    """The temp file atomic_write_bytes writes before renaming it onto `path` (unique per process and thread)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def is_temp_name(name: str) -> bool:
    return any(p.match(name) for p in TEMP_PATTERNS)


def remove_stale_temps(root: Path) -> list[Path]:
    """Delete every file under `root` named like our temps; returns what was removed. Call only while holding
    the run's lock, before any stage runs (then no write of this run is in progress)."""
    removed = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if is_temp_name(name):
                path = Path(folder) / name
                try:
                    path.unlink()
                    removed.append(path)
                except FileNotFoundError:
                    pass
    return removed
