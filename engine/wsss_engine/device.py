"""Devices and seeds: resolve a config's "device", seed and snapshot RNGs (device_list.py lists the devices)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from wsss_engine.errors import ConfigInvalid

_CPU_TORCH_HINT = (
    "install a CUDA build of torch (on Linux x86_64 `pip install torch==2.14.1` from PyPI already is "
    'one; check `nvidia-smi` shows the GPU), or set "device" to "auto" or "cpu" in the config'
)


# Whether stages may fork DataLoader worker processes by default. The engine server and daemon run each run on a
# thread beside others (the RPC reader, other runs); a worker forked from such a process was seen to hang on an
# inherited lock, so there the default is in-process loading (runs/active.py turns this off; docs/THROUGHPUT.md).
_forked_loaders_by_default = True


def prefer_in_process_loaders() -> None:
    global _forked_loaders_by_default
    _forked_loaders_by_default = False


def forked_loaders_by_default() -> bool:
    return _forked_loaders_by_default


def resolve_device(name: str) -> torch.device:
    """ "auto" | "cpu" | "cuda" | "cuda:N" | "mps" -> torch.device, or ConfigInvalid saying what is missing."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda:0")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "mps":
        if not mps_available():
            raise ConfigInvalid(
                'device "mps" was requested but Apple MPS is not available on this machine',
                'set "device" to "auto" or "cpu"',
                errors=[{"path": "/device", "message": "MPS is not available"}],
            )
        return torch.device("mps")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            why = (
                "this torch build has no CUDA support"
                if torch.version.cuda is None
                else "no CUDA GPU is visible (driver missing, or CUDA_VISIBLE_DEVICES hides it)"
            )
            raise ConfigInvalid(
                f'device "{name}" was requested but {why}',
                _CPU_TORCH_HINT,
                errors=[{"path": "/device", "message": f"CUDA is not available: {why}"}],
            )
        index = int(name.split(":", 1)[1]) if ":" in name else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise ConfigInvalid(
                f'device "{name}" was requested but this machine has {count} CUDA device(s)',
                f'use one of cuda:0..cuda:{count - 1}, or "auto"',
                errors=[{"path": "/device", "message": f"only {count} CUDA device(s)"}],
            )
        return torch.device("cuda", index)
    raise ConfigInvalid(
        f'unknown device "{name}"',
        'use "auto", "cpu", "cuda", "cuda:N" or "mps"',
        errors=[{"path": "/device", "message": f"unknown device {name!r}"}],
    )


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices) from the config's seed."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    """Every RNG state, for checkpoints that resume exactly. Tensors, tuples and numbers only, so a
    checkpoint loads with torch.load(weights_only=True) (safe_pickle.torch_load): NumPy's key array is
    stored as an int64 tensor."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": random.getstate(),
        "torch": torch.get_rng_state(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    keys = keys.numpy() if isinstance(keys, torch.Tensor) else np.asarray(keys)
    np.random.set_state((kind, keys.astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
