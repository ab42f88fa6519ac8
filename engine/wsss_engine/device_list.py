"""The devices this machine has, for `initialize` and `engine/devices` (docs/ARCHITECTURE.md, protocol).
The CPU is described without torch, so the server can answer `initialize` before torch is loaded (~5 s);
accelerators need torch and follow in the `engine/devices` notification."""

from __future__ import annotations

import importlib.util
import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any


def cpu_device() -> dict[str, Any]:
    return {"id": "cpu", "name": _cpu_name(), "kind": "cpu", "memoryBytes": _ram_bytes()}


def installed_torch_version() -> str:
    """torch.__version__ without importing torch: read from torch/version.py (the package metadata lacks the
    local part, e.g. "+cu130"), else from the metadata."""
    try:
        spec = importlib.util.find_spec("torch")
        for folder in (spec.submodule_search_locations or []) if spec else []:
            found = re.search(
                r"^__version__\s*=\s*['\"]([^'\"]+)['\"]",
                (Path(folder) / "version.py").read_text(encoding="utf-8"),
                re.MULTILINE,
            )
            if found:
                return found.group(1)
    except (OSError, ImportError, ValueError):
        pass
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_devices() -> list[dict[str, Any]]:
    """[{id, name, kind, memoryBytes}]: the CPU, every CUDA GPU, MPS. Imports torch."""
    import torch

    from wsss_engine.device import mps_available

    devices = [cpu_device()]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            devices.append(
                {"id": f"cuda:{i}", "name": props.name, "kind": "cuda", "memoryBytes": int(props.total_memory)}
            )
    if mps_available():
        devices.append({"id": "mps", "name": "Apple MPS", "kind": "mps", "memoryBytes": None})
    return devices


def _cpu_name() -> str:
    name = ""
    try:  # Linux names the model here; platform.processor() is often empty there
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            name = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    name = name or platform.processor() or platform.machine() or "CPU"
    return f"{name} ({os.cpu_count() or 1} cores)"


def _ram_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None
