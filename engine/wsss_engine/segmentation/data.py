"""Segmenter inputs (METHOD §5): normalisation tied to the init weights, the training augmentation, and the
up-front check of a pseudo-mask folder against the image list.

Normalisation ("normalization" param; "auto" picks by init):
- "caffe_bgr": the reference's (deeplab-pytorch `IMAGE.MEAN`): BGR channel order, 0..255, minus the caffe mean
  (104.008, 116.669, 122.675), no std. The COCO init (`deeplabv1_resnet101-coco.pth`, a converted caffemodel)
  was trained on exactly this input, so it is what that init needs.
- "imagenet": RGB / 255, ImageNet mean/std, as every torchvision ImageNet / DeepLabV3 file expects.
Feeding one init the other's input quietly costs accuracy, hence the tie.

Training augmentation (deeplab-pytorch `_augmentation`): rescale by a scale drawn from `scales` (bilinear
image, nearest mask), pad bottom/right up to the crop (mean colour = 0 after normalising; mask 255), random
crop, horizontal flip with p 0.5. Randomness comes from torch's RNG (SeededItems makes it reproducible).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from ..data import mask_files
from ..data.labels import read_mask
from ..data.mask_files import mask_file
from ..data.transforms import IGNORE_INDEX, normalize, to_chw_tensor
from ..errors import DatasetError

CAFFE_MEAN_BGR = (104.008, 116.669, 122.675)
NORMALIZATIONS = ("caffe_bgr", "imagenet")
TRAIN_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)


def resolve_normalization(value: str, init_format: str | None) -> str:
    """ "auto": caffe_bgr for the deeplab-pytorch (caffe) init, imagenet for everything else."""
    if value == "auto":
        return "caffe_bgr" if init_format == "deeplab_coco" else "imagenet"
    if value not in NORMALIZATIONS:
        from ..errors import ConfigInvalid

        raise ConfigInvalid(f"unknown normalization {value!r}", hint="use auto, caffe_bgr or imagenet")
    return value


def normalize_image(image: Image.Image | np.ndarray, normalization: str) -> np.ndarray:
    """RGB uint8 (PIL or H×W×3) -> H×W×3 float32 network input."""
    if normalization == "imagenet":
        return normalize(image)
    arr = np.asarray(image, dtype=np.float32)[..., ::-1]
    return arr - np.asarray(CAFFE_MEAN_BGR, np.float32)


class SegTrainTransform:
    """`transform(image PIL, mask H×W uint8) -> (3×crop×crop float tensor, crop×crop int64 tensor)`."""

    def __init__(
        self,
        crop_size: int = 321,
        scales: Sequence[float] = TRAIN_SCALES,
        hflip: bool = True,
        normalization: str = "imagenet",
    ):
        if crop_size <= 0 or not scales or any(s <= 0 for s in scales):
            raise ValueError(f"crop_size and scales must be positive, got {crop_size}, {scales}")
        self.crop_size, self.scales, self.hflip = int(crop_size), tuple(float(s) for s in scales), hflip
        self.normalization = normalization

    def __call__(self, image: Image.Image, mask: np.ndarray | None):
        if mask is None:
            raise ValueError("the segmenter trains on masks: build the dataset with with_mask=True")
        scale = self.scales[int(torch.randint(len(self.scales), (1,)).item())]
        h, w = max(1, int(image.height * scale)), max(1, int(image.width * scale))
        image = image.resize((w, h), Image.BILINEAR)
        mask = np.asarray(Image.fromarray(mask).resize((w, h), Image.NEAREST))
        arr = normalize_image(image, self.normalization)
        crop = self.crop_size
        ph, pw = max(crop, h), max(crop, w)
        padded = np.zeros((ph, pw, 3), np.float32)
        padded[:h, :w] = arr
        padded_mask = np.full((ph, pw), IGNORE_INDEX, np.uint8)
        padded_mask[:h, :w] = mask
        y = int(torch.randint(ph - crop + 1, (1,)).item())
        x = int(torch.randint(pw - crop + 1, (1,)).item())
        arr, mask = padded[y : y + crop, x : x + crop], padded_mask[y : y + crop, x : x + crop]
        if self.hflip and torch.rand(1).item() < 0.5:
            arr, mask = arr[:, ::-1], mask[:, ::-1]
        return to_chw_tensor(arr), torch.from_numpy(np.ascontiguousarray(mask).astype(np.int64))

    def __repr__(self) -> str:
        return f"SegTrainTransform(crop={self.crop_size}, scales={self.scales}, normalization={self.normalization})"


def check_mask_folder(
    mask_dir: Path,
    ids: Sequence[str],
    image_paths: dict,
    num_classes: int,
    list_name: str,
    progress=None,
    check_cancelled=None,
) -> dict:
    """Every id of the list has a mask `<mask_dir>/<id>.png` of its image's size (data/mask_files.py's check)
    with values in 0..C or 255, and the set is not all-ignore. Raises DatasetError naming the file and what to
    do; returns counts."""
    mask_dir = Path(mask_dir)
    if mask_dir.is_dir():
        if ids and not any(mask_dir.glob("*.png")):
            raise DatasetError(
                f"pseudo-mask folder {mask_dir} holds no masks (.png)",
                hint="run (or resume) the stage that writes the pseudo masks before training",
                path=str(mask_dir),
            )
        missing = [i for i in ids if not mask_file(mask_dir, i).is_file()]
        if missing:  # the count and a few ids, so that a partial folder is easy to recognise
            raise DatasetError(
                f"{len(missing)} of {len(ids)} image(s) of list {list_name!r} have no mask in "
                f"{mask_dir}, e.g. {', '.join(missing[:4])}",
                hint="finish the pseudo-mask stage for this list (resume the run), or train on the "
                "list the masks were made for",
                path=str(mask_file(mask_dir, missing[0])),
            )
    mask_files.check_mask_folder(mask_dir, {i: image_paths[i] for i in ids}, "pseudo-mask")
    labelled, total = 0, len(ids)
    for n, image_id in enumerate(ids):
        if check_cancelled and n % 64 == 0:
            check_cancelled()
        path = mask_file(mask_dir, image_id)
        mask = read_mask(path)
        bad = mask[(mask > num_classes) & (mask != IGNORE_INDEX)]
        if bad.size:
            raise DatasetError(
                f"mask {path} has value {int(bad.max())}; masks may only hold 0 (background), "
                f"1..{num_classes} (classes) and 255 (ignore)",
                hint="check that the masks come from this dataset's class list",
                path=str(path),
            )
        labelled += int((mask != IGNORE_INDEX).any())
        if progress and (n % 256 == 255 or n + 1 == total):
            progress(n + 1, total, f"checked {n + 1} masks")
    if labelled == 0:
        raise DatasetError(
            f"every mask in {mask_dir} is all-ignore (255): nothing to train on",
            hint="check the pseudo-mask stage (its thresholds) before training the segmenter",
            path=str(mask_dir),
        )
    return {"masks": total, "labelled": labelled}
