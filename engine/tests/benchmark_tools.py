"""Loading a script of engine/benchmarks/ as a module, for the tests of the measurement tools there (they are
scripts run by path, not part of the wsss_engine package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_tool(name: str):
    """engine/benchmarks/<name>.py, imported as module ``name``."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
