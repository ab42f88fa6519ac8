"""Start-of-stage checks of a CAM folder against an image list (stages that consume CAMs: ir_labels,
random_walk). CAMs are read only through cam_files.load_cam. A problem raises DatasetError naming the file."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
from PIL import Image

from ..errors import DatasetError
from .cam_files import cam_path, load_cam

# The size each CAM field has for an H×W image (METHOD §3.1).
FIELD_SIZE = {"high_res": lambda h, w: (h, w), "cam": lambda h, w: (math.ceil(h / 4), math.ceil(w / 4))}


def check_cam_files(cam_dir: Path, ids: Sequence[str]) -> None:
    """Every id has a CAM file in `cam_dir`."""
    if not Path(cam_dir).is_dir():
        raise DatasetError(
            f"CAM folder {cam_dir} does not exist",
            hint="run the infer_cams stage named by 'cams' first",
            path=str(cam_dir),
        )
    missing = [i for i in ids if not cam_path(cam_dir, i).is_file()]
    if missing:
        first = cam_path(cam_dir, missing[0])
        raise DatasetError(
            f"{len(missing)} of {len(ids)} images of the list have no CAM file in {cam_dir}, e.g. {first}",
            hint="run (or resume) infer_cams on the same image list (its 'split')",
            path=str(first),
        )


def load_matching_cam(cam_dir: Path, image_id: str, field: str, image_size: tuple[int, int], num_classes: int) -> dict:
    """The CAM record of one image whose `field` fits an image of `image_size` (H, W)."""
    path = cam_path(cam_dir, image_id)
    record = load_cam(path)
    maps, keys = record[field], np.asarray(record["keys"])
    want = FIELD_SIZE[field](*image_size)
    if tuple(maps.shape[1:]) != want or maps.shape[0] != len(keys):
        raise DatasetError(
            f"CAM file {path}: '{field}' is {'x'.join(map(str, maps.shape))} but its image is "
            f"{image_size[1]}x{image_size[0]} (expected {len(keys)}x{want[0]}x{want[1]})",
            hint="the CAMs come from other or resized images: rerun infer_cams on this dataset",
            path=str(path),
        )
    if keys.size and (keys.min() < 0 or keys.max() >= num_classes):
        raise DatasetError(
            f"CAM file {path} has class keys {keys.tolist()} outside 0..{num_classes - 1}",
            hint="use CAMs made with this dataset's class list",
            path=str(path),
        )
    return record


def check_cams(
    cam_dir: Path, image_paths: dict, field: str, num_classes: int, check_cancelled: Optional[Callable[[], None]] = None
) -> None:
    """All of the above for {id: image path} (image sizes from the file headers), before any work starts."""
    check_cam_files(cam_dir, list(image_paths))
    for n, (image_id, image) in enumerate(image_paths.items()):
        if check_cancelled and n % 64 == 0:
            check_cancelled()
        with Image.open(image) as im:
            size = (im.height, im.width)
        load_matching_cam(cam_dir, image_id, field, size, num_classes)
