"""Stage checkpoints `<run>/checkpoints/<stage-id>.pt`: everything needed to continue exactly.

{"format": 1, "stage_type", "model_meta", "model", "extras": {name: state_dict}, "optimizer", "scheduler",
 "scaler", "step", "rng": {"torch", "cuda", "numpy", "python"}, "extra_state", "complete", "summary"}
`model_meta` + `model` are what models.loading.load_cam_model reads. Written atomically (temp + rename).
"""
from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import torch

from ..runs.run_folder import atomic_write_bytes


def rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}


def restore_rng(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: Path, payload: dict) -> None:
    buffer = io.BytesIO()
    torch.save({"format": 1, **payload}, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: Path) -> dict | None:
    """The stage's checkpoint, or None when there is none (fresh start)."""
    if not Path(path).is_file():
        return None
    # Our own file (RNG states are numpy/python objects), so a full unpickle is needed.
    return torch.load(path, map_location="cpu", weights_only=False)
