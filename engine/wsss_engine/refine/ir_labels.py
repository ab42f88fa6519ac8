"""IR labels from CAMs (METHOD §4.1, IRN `cam_to_ir_label`): confident foreground, confident background, ignore.

1. foreground-confident: argmax over [bg plane = fg_threshold, CAMs], refined by the dense CRF;
2. background-confident: the same with a bg plane of bg_threshold (lower, so more pixels become foreground);
3. label = the fg-confident class where it is foreground; 255 where only the bg-confident map says foreground;
   0 where both say background.
Presets: "clims" 0.30 / 0.10 (CLIMS / POLE `run_sample.py`, the default) and "irn" 0.30 / 0.05 (IRN).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..data.cam_checks import load_matching_cam
from ..data.mask_files import save_mask
from ..errors import DatasetError, EngineError
from .crf import crf_labels

IGNORE = 255
PRESETS = {"clims": (0.30, 0.10), "irn": (0.30, 0.05)}


def confident_labels(image: np.ndarray, high_res: np.ndarray, keys: np.ndarray, threshold: float, **crf) -> np.ndarray:
    """argmax over [bg = threshold, CAMs], CRF-refined, mapped to class ids (0 bg, keys + 1)."""
    planes = np.concatenate([np.full((1, *high_res.shape[1:]), threshold, np.float32), high_res.astype(np.float32)])
    ids = np.concatenate([[0], np.asarray(keys, np.int64) + 1])
    return ids[crf_labels(image, np.argmax(planes, axis=0), len(ids), **crf)]


def ir_label(
    image: np.ndarray, high_res: np.ndarray, keys: np.ndarray, fg_threshold: float, bg_threshold: float, **crf
) -> np.ndarray:
    """H×W uint8 IR label (0 bg, 1..C, 255 ignore) of one image (H×W×3 uint8) and its K×H×W `high_res` CAMs."""
    if high_res.shape[1:] != image.shape[:2]:
        raise ValueError(
            f"CAMs are {high_res.shape[2]}x{high_res.shape[1]} but the image is {image.shape[1]}x{image.shape[0]}"
        )
    fg = confident_labels(image, high_res, keys, fg_threshold, **crf)
    bg = confident_labels(image, high_res, keys, bg_threshold, **crf)
    label = fg.copy()
    label[fg == 0] = IGNORE
    label[(fg == 0) & (bg == 0)] = 0
    return label.astype(np.uint8)


def write_ir_label(job: dict) -> tuple[int, int] | dict:
    """One image's IR label, read and written by file (a worker process needs no torch): job = {"image", "cam_dir",
    "image_id", "out", "num_classes", "fg", "bg", "crf": {...}} -> (ignored pixels, pixels), or the record of an
    EngineError (exceptions lose their hint when pickled back to the parent)."""
    try:
        try:
            with Image.open(job["image"]) as img:
                image = np.array(img.convert("RGB"), np.uint8)
        except (OSError, SyntaxError, ValueError) as exc:
            raise DatasetError(
                f"cannot read image {job['image']}: {exc}",
                hint="replace or delete the file (and its list entry)",
                path=job["image"],
            ) from exc
        record = load_matching_cam(
            Path(job["cam_dir"]), job["image_id"], "high_res", image.shape[:2], job["num_classes"]
        )
        label = ir_label(image, record["high_res"], record["keys"], job["fg"], job["bg"], **job["crf"])
        save_mask(job["out"], label)
        return int((label == IGNORE).sum()), int(label.size)
    except EngineError as exc:
        return exc.to_record()
