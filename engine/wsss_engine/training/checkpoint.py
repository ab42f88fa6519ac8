"""Stage checkpoints `<run>/checkpoints/<stage-id>.pt`: everything needed to continue exactly.

{"format": 1, "stage_type", "model_meta", "model", "extras": {name: state_dict}, "optimizer", "scheduler",
 "scaler", "step", "rng": {"torch", "cuda", "numpy", "python"}, "extra_state", "complete", "summary"}
`model_meta` + `model` are what models.loading.load_cam_model reads. Written atomically (temp + rename).
Tensors and plain containers only (device.rng_state stores NumPy's state as a tensor), so it is read with
torch.load(weights_only=True): a checkpoint planted in a run folder cannot run code on `--resume`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from ..errors import RunFolderError
from ..runs.run_folder import atomic_write_bytes
from ..safe_pickle import torch_load

RESTART_HINT = "delete the checkpoint to restart this stage from scratch"


def save_checkpoint(path: Path, payload: dict) -> None:
    """A training stage's checkpoint (the format above)."""
    write_checkpoint(path, {"format": 1, **payload})


def write_checkpoint(path: Path, state: dict) -> None:
    """torch.save of `state`, written atomically (any stage's checkpoint: StageContext.save_checkpoint)."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(path: Path, map_location: Any = "cpu") -> dict | None:
    """The stage's checkpoint, or None when there is none (fresh start)."""
    if not Path(path).is_file():
        return None
    return torch_load(path, RunFolderError, "checkpoint", RESTART_HINT, map_location)
