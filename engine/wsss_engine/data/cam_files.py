"""CAM files of a run: `<run>/cams/<set>/<image_id>.npy` (docs/ARCHITECTURE.md, METHOD §3.1).

Each file is `np.save` of a dict {"keys": int64[K] (class indices 0..C-1, no background),
"cam": float16 K×ceil(H/4)×ceil(W/4), "high_res": float16 K×H×W}, every map max-normalised to 1.
Read back with safe_pickle.load_npy_record (numpy reconstructors only, as the CAM panel's TypeScript reader),
which also reads IRN/CLIMS-format CAM files (the same dict, maybe with more arrays). Written atomically (temp file + rename), so an existing file is always complete: inference resumes by
skipping ids whose file exists.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

import numpy as np

from ..errors import DatasetError
from ..safe_pickle import load_npy_record


def cam_path(cam_dir: Union[str, Path], image_id: str) -> Path:
    return Path(cam_dir) / f"{image_id}.npy"


def save_cam(path: Union[str, Path], keys: np.ndarray, cam: np.ndarray, high_res: np.ndarray) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "keys": np.asarray(keys, np.int64),
        "cam": np.asarray(cam, np.float16),
        "high_res": np.asarray(high_res, np.float16),
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, record, allow_pickle=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_cam(path: Union[str, Path]) -> dict:
    """The dict saved by `save_cam`; DatasetError naming the file if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"CAM file {path} does not exist", hint="run the infer_cams stage for this image list first", path=str(path)
        )
    hint = "delete it and resume the infer_cams stage to rewrite it"
    record = load_npy_record(path, DatasetError, hint)  # numpy arrays only: a planted file runs no code
    if not {"keys", "cam", "high_res"} <= set(record):
        raise DatasetError(
            f"cannot read CAM file {path}: fields {sorted(record)}; expected keys, cam, high_res",
            hint=hint,
            path=str(path),
        )
    return record
