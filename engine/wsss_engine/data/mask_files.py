"""Label-mask files of a run: `<run>/masks/<stage-id>/<image_id>.png` (docs/ARCHITECTURE.md, "Run folder").

Palette PNGs of class ids (0 background, 1..C, 255 ignore) with the VOC colour map, so they open as coloured
images in any viewer and in the dataset browser. Written atomically (temp file + rename): an existing file is
always complete, so a stage resumes by skipping ids whose file exists. Read them with `labels.read_mask`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image


def voc_palette() -> list[int]:
    """The PASCAL VOC colour map (class i -> RGB), flattened for PIL's putpalette; 255 is cream white."""
    pal = np.zeros((256, 3), np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        pal[i] = (r, g, b)
    pal[255] = (224, 224, 192)
    return pal.flatten().tolist()


def mask_file(mask_dir: Union[str, Path], image_id: str) -> Path:
    return Path(mask_dir) / f"{image_id}.png"


def save_mask(path: Union[str, Path], mask: np.ndarray) -> None:
    """H×W class ids (0..254, 255 ignore) -> palette PNG at `path`, atomically."""
    path = Path(path)
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.min() < 0 or mask.max() > 255:
        raise ValueError(f"a mask must be H×W ids in 0..255, got shape {mask.shape}")
    png = Image.fromarray(mask.astype(np.uint8), mode="P")
    png.putpalette(voc_palette())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            png.save(f, format="PNG")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_mask_folder(mask_dir: Union[str, Path], image_paths: dict, producer: str) -> None:
    """DatasetError naming the first problem unless `mask_dir` has a mask for every image of `image_paths`
    ({id: image path}) with the image's size (PNG headers only, so this is cheap at a stage's start)."""
    from ..errors import DatasetError

    mask_dir = Path(mask_dir)
    if not mask_dir.is_dir():
        raise DatasetError(
            f"mask folder {mask_dir} does not exist", hint=f"run the {producer} stage first", path=str(mask_dir)
        )
    missing = [i for i in image_paths if not mask_file(mask_dir, i).is_file()]
    if missing:
        first = mask_file(mask_dir, missing[0])
        raise DatasetError(
            f"{len(missing)} of {len(image_paths)} images have no mask in {mask_dir}, e.g. {first}",
            hint=f"run (or resume) the {producer} stage on this image list",
            path=str(first),
        )
    for image_id, image in image_paths.items():
        path = mask_file(mask_dir, image_id)
        try:
            with Image.open(path) as m, Image.open(image) as im:
                if m.size != im.size:
                    raise DatasetError(
                        f"mask {path} is {m.size[0]}x{m.size[1]} but image {image} is {im.size[0]}x{im.size[1]}",
                        hint=f"the folder holds masks of other images: rerun the {producer} stage for this dataset",
                        path=str(path),
                    )
        except OSError as exc:
            raise DatasetError(
                f"cannot read mask {path}: {exc}",
                hint=f"delete it and resume the {producer} stage to rewrite it",
                path=str(path),
            ) from exc
