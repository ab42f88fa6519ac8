"""How far a class's CAM spreads onto the background texture it co-occurs with (boats onto water, trains onto
rails): the failure CLIMS's L_BTM and L_CBS target (docs/METHOD.md §1.4), measured directly as docs/DESIGN.md#the-synthetic-world asks.

For each co-occurring (class, texture) pair: over the evaluated images that contain the class on that texture,
the share of ground-truth background pixels (void excluded) that the thresholded CAM labels as that class.
The prediction is docs/METHOD.md §3.2's: argmax over [background = threshold, the image's CAMs].
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.cam_files import cam_path, load_cam
from .scene import CLASSES, DEFAULT_COOCCURRENCE


def read_ids(world: Path, list_name: str) -> list[str]:
    return (world / "ImageSets" / "Segmentation" / f"{list_name}.txt").read_text().split()


def cam_spread(world: Path, cam_dir: Path, ids: list[str], threshold: float) -> dict:
    backgrounds = json.loads((world / "backgrounds.json").read_text())
    counts = {c: [0, 0, 0] for c in DEFAULT_COOCCURRENCE}  # spilled pixels, background pixels, images
    for iid in ids:
        texture = backgrounds.get(iid)
        path = cam_path(cam_dir, iid)
        if not path.exists():
            continue
        record = load_cam(path)
        keys = [int(k) for k in record["keys"]]
        pairs = [c for c, (t, _) in DEFAULT_COOCCURRENCE.items() if t == texture and CLASSES.index(c) in keys]
        if not pairs:
            continue
        gt = np.asarray(Image.open(world / "SegmentationClass" / f"{iid}.png"))
        cams = record["high_res"].astype(np.float32)
        scores = np.concatenate([np.full((1,) + cams.shape[1:], threshold, np.float32), cams])
        pred = np.asarray([-1] + keys)[scores.argmax(0)]
        bg = gt == 0
        for c in pairs:
            k = CLASSES.index(c)
            counts[c][0] += int((bg & (pred == k)).sum())
            counts[c][1] += int(bg.sum())
            counts[c][2] += 1
    return {
        c: {"texture": DEFAULT_COOCCURRENCE[c][0], "n_images": n, "spread": round(s / b, 4) if b else None}
        for c, (s, b, n) in counts.items()
    }
