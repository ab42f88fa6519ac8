"""IR labels from CAMs (METHOD §4.1, IRN `cam_to_ir_label`): confident foreground, confident background, ignore.

1. foreground-confident: argmax over [bg plane = fg_threshold, CAMs], refined by the dense CRF;
2. background-confident: the same with a bg plane of bg_threshold (lower, so more pixels become foreground);
3. label = the fg-confident class where it is foreground; 255 where only the bg-confident map says foreground;
   0 where both say background.
Presets: "clims" 0.30 / 0.10 (CLIMS / POLE `run_sample.py`, the default) and "irn" 0.30 / 0.05 (IRN).
"""
from __future__ import annotations

import numpy as np

from .crf import crf_labels

IGNORE = 255
PRESETS = {"clims": (0.30, 0.10), "irn": (0.30, 0.05)}


def confident_labels(image: np.ndarray, high_res: np.ndarray, keys: np.ndarray, threshold: float,
                     **crf) -> np.ndarray:
    """argmax over [bg = threshold, CAMs], CRF-refined, mapped to class ids (0 bg, keys + 1)."""
    planes = np.concatenate([np.full((1, *high_res.shape[1:]), threshold, np.float32),
                             high_res.astype(np.float32)])
    ids = np.concatenate([[0], np.asarray(keys, np.int64) + 1])
    return ids[crf_labels(image, np.argmax(planes, axis=0), len(ids), **crf)]


def ir_label(image: np.ndarray, high_res: np.ndarray, keys: np.ndarray, fg_threshold: float, bg_threshold: float,
             **crf) -> np.ndarray:
    """H×W uint8 IR label (0 bg, 1..C, 255 ignore) of one image (H×W×3 uint8) and its K×H×W `high_res` CAMs."""
    if high_res.shape[1:] != image.shape[:2]:
        raise ValueError(f"CAMs are {high_res.shape[2]}x{high_res.shape[1]} but the image is "
                         f"{image.shape[1]}x{image.shape[0]}")
    fg = confident_labels(image, high_res, keys, fg_threshold, **crf)
    bg = confident_labels(image, high_res, keys, bg_threshold, **crf)
    label = fg.copy()
    label[fg == 0] = IGNORE
    label[(fg == 0) & (bg == 0)] = 0
    return label.astype(np.uint8)
