"""Where the shared real data lives for tests ($WSSS_SHARED_DIR/data, default ../shared/data beside the project
root; docs/ARCHITECTURE.md), and small VOC-layout
copies of it for tests that must write files (corrupt images, CAM folders) or need tiny images (speed)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pytest
from PIL import Image

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = (Path(os.environ.get("WSSS_SHARED_DIR") or PROJECT_ROOT.parent / "shared") / "data").resolve()
PHOTOS = SHARED_DATA / "photos"
VOC2012 = SHARED_DATA / "voc2012"


def require(path: Path) -> Path:
    """Skip the calling test, saying what is missing, when the shared data folder is absent."""
    if not path.exists():
        pytest.skip(f"shared test data not found: {path} (expected ../shared/data next to the project root)")
    return path


def photo_ids(n: Optional[int] = None) -> list:
    ids = sorted(json.loads((require(PHOTOS) / "labels.json").read_text()))
    return ids if n is None else ids[:n]


def palette() -> list:
    """The VOC colour map (bit-interleaved), as the palette of mask PNGs."""
    pal = []
    for i in range(256):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal += [r, g, b]
    return pal


def save_mask(path: Path, mask: np.ndarray) -> None:
    img = Image.fromarray(mask.astype(np.uint8), mode="P")
    img.putpalette(palette())
    img.save(path)


def small_photo_root(
    dest: Path, ids: Sequence[str], long_side: Optional[int] = None, lists: Optional[dict] = None
) -> Path:
    """A VOC-layout copy of some real photos (optionally downscaled: bicubic images, nearest masks)."""
    labels = json.loads((require(PHOTOS) / "labels.json").read_text())
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    for image_id in ids:
        src_img, src_mask = PHOTOS / "JPEGImages" / f"{image_id}.jpg", PHOTOS / "SegmentationClass" / f"{image_id}.png"
        if long_side is None:
            shutil.copy(src_img, dest / "JPEGImages" / src_img.name)
            shutil.copy(src_mask, dest / "SegmentationClass" / src_mask.name)
            continue
        img = Image.open(src_img).convert("RGB")
        scale = long_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img.resize(size, Image.BICUBIC).save(dest / "JPEGImages" / src_img.name, quality=95)
        mask = np.array(Image.open(src_mask).resize(size, Image.NEAREST))
        save_mask(dest / "SegmentationClass" / src_mask.name, mask)
    (dest / "labels.json").write_text(json.dumps({i: labels[i] for i in ids}))
    for name, members in (lists or {"all": ids}).items():
        (dest / "ImageSets" / "Segmentation" / f"{name}.txt").write_text("\n".join(members) + "\n")
    return dest
