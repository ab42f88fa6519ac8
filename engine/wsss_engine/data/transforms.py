"""Image transforms for CAM training and inference (METHOD §1.1, §3.1).

Training (METHOD §1.1, IRN/CLIMS `voc12/dataloader.py` + `misc/imutils.py`), in this order:
  1. rescale so the long side is a random integer in [low, high], PIL bicubic;
  2. ImageNet normalisation;
  3. horizontal flip with p = 0.5;
  4. random crop to `crop_size`; a side shorter than the crop is placed at a random offset inside a
     container of zeros, i.e. mean-colour padding *after* normalisation;
  5. HWC -> CHW.
Sizes are parameters so the synthetic world can train on small images with the same recipe.

Every transform is called as `transform(image: PIL.Image, mask: np.ndarray | None)` and returns
`(image CHW float32 tensor, mask H×W int64 tensor | None)`; the mask follows every geometric step and is
padded with 255 (ignore). Randomness comes from torch's RNG (optionally a `torch.Generator`), so
`torch.manual_seed` and DataLoader worker seeding make it reproducible.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IGNORE_INDEX = 255

MaskArray = Optional[np.ndarray]


def normalize(image: Image.Image) -> np.ndarray:
    """uint8 RGB PIL image -> float32 HWC array, ImageNet mean/std (METHOD §1.1 step 3)."""
    arr = np.asarray(image, dtype=np.float32) / 255.0
    return (arr - np.asarray(IMAGENET_MEAN, np.float32)) / np.asarray(IMAGENET_STD, np.float32)


def to_chw_tensor(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def mask_tensor(mask: MaskArray) -> Optional[torch.Tensor]:
    return None if mask is None else torch.from_numpy(np.ascontiguousarray(mask).astype(np.int64))


def rescale_size(height: int, width: int, scale: float) -> Tuple[int, int]:
    """Target (H, W) of a rescale by `scale`, rounded like IRN's `pil_rescale`."""
    return max(1, int(round(height * scale))), max(1, int(round(width * scale)))


def pil_rescale(image: Image.Image, scale: float) -> Image.Image:
    """Bicubic rescale of an RGB image (METHOD §3.1: each inference scale is a PIL bicubic resize)."""
    if scale == 1.0:
        return image
    h, w = rescale_size(image.height, image.width, scale)
    return image.resize((w, h), Image.BICUBIC)


def randint_inclusive(low: int, high: int, generator: Optional[torch.Generator]) -> int:
    """Uniform integer in [low, high] inclusive."""
    return int(torch.randint(low, high + 1, (1,), generator=generator).item())


def random_resize_long(
    image: Image.Image, mask: MaskArray, low: int, high: int, generator: Optional[torch.Generator] = None
) -> Tuple[Image.Image, MaskArray]:
    """Long side -> random integer in [low, high]; bicubic for the image, nearest for the mask."""
    target = randint_inclusive(low, high, generator)
    scale = target / max(image.height, image.width)
    h, w = rescale_size(image.height, image.width, scale)
    image = image.resize((w, h), Image.BICUBIC)
    if mask is not None:
        mask = np.asarray(Image.fromarray(mask.astype(np.uint8)).resize((w, h), Image.NEAREST))
    return image, mask


def random_crop_box(
    height: int, width: int, crop: int, generator: Optional[torch.Generator] = None
) -> Tuple[int, int, int, int, int, int, int, int]:
    """Where the crop lands: (container y0, y1, x0, x1, source y0, y1, x0, x1).

    Along each axis either the image is larger (a random window of it is taken) or smaller (it is placed at
    a random offset inside the crop container), as IRN's `get_random_crop_box` does.
    """

    def axis(size: int) -> Tuple[int, int, int, int]:
        space = crop - size
        if space > 0:
            offset = randint_inclusive(0, space, generator)
            return offset, offset + size, 0, size
        offset = randint_inclusive(0, -space, generator)
        return 0, crop, offset, offset + crop

    cy0, cy1, sy0, sy1 = axis(height)
    cx0, cx1, sx0, sx1 = axis(width)
    return cy0, cy1, cx0, cx1, sy0, sy1, sx0, sx1


def random_crop(
    image: np.ndarray, mask: MaskArray, crop: int, generator: Optional[torch.Generator] = None
) -> Tuple[np.ndarray, MaskArray]:
    """Crop a normalised HWC image to crop×crop, zero-padded (= mean colour) where it is smaller."""
    cy0, cy1, cx0, cx1, sy0, sy1, sx0, sx1 = random_crop_box(image.shape[0], image.shape[1], crop, generator)
    out = np.zeros((crop, crop, image.shape[2]), np.float32)
    out[cy0:cy1, cx0:cx1] = image[sy0:sy1, sx0:sx1]
    out_mask = None
    if mask is not None:
        out_mask = np.full((crop, crop), IGNORE_INDEX, np.uint8)
        out_mask[cy0:cy1, cx0:cx1] = mask[sy0:sy1, sx0:sx1]
    return out, out_mask


def flip_crop_tensors(
    arr: np.ndarray, mask: MaskArray, crop: int, hflip: bool, generator: Optional[torch.Generator] = None
):
    """The shared tail of the training transforms: flip with p = 0.5, random crop, CHW tensors."""
    if hflip and torch.rand(1, generator=generator).item() < 0.5:
        arr = arr[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    arr, mask = random_crop(arr, mask, crop, generator)
    return to_chw_tensor(arr), mask_tensor(mask)


class TrainTransform:
    """METHOD §1.1 training augmentation; defaults are VOC's (320..640, crop 512)."""

    def __init__(
        self,
        resize_long: Sequence[int] = (320, 640),
        crop_size: int = 512,
        hflip: bool = True,
        generator: Optional[torch.Generator] = None,
    ):
        low, high = int(resize_long[0]), int(resize_long[1])
        if not 0 < low <= high:
            raise ValueError(f"resize_long must be 0 < low <= high, got {resize_long}")
        if crop_size <= 0:
            raise ValueError(f"crop_size must be positive, got {crop_size}")
        self.resize_long = (low, high)
        self.crop_size = int(crop_size)
        self.hflip = hflip
        self.generator = generator

    @classmethod
    def for_image_size(cls, image_size: int, **kwargs) -> "TrainTransform":
        """Same proportions as VOC's recipe (crop 512, long side 320..640) for another crop size."""
        return cls(resize_long=(round(image_size * 0.625), round(image_size * 1.25)), crop_size=image_size, **kwargs)

    def __call__(self, image: Image.Image, mask: MaskArray = None):
        image, mask = random_resize_long(image, mask, *self.resize_long, generator=self.generator)
        return flip_crop_tensors(normalize(image), mask, self.crop_size, self.hflip, self.generator)

    def __repr__(self) -> str:
        return f"TrainTransform(resize_long={self.resize_long}, crop_size={self.crop_size}, hflip={self.hflip})"


class EvalTransform:
    """Full image, ImageNet-normalised, no augmentation (evaluation, selection, previews)."""

    def __call__(self, image: Image.Image, mask: MaskArray = None):
        return to_chw_tensor(normalize(image)), mask_tensor(mask)

    def __repr__(self) -> str:
        return "EvalTransform()"


class MultiScaleFlip:
    """METHOD §3.1: per scale, PIL bicubic rescale, normalise, and stack with its horizontal flip.

    Returns a list (one per scale) of 2×3×h×w tensors: [image, flipped image]. The mask, if any, stays at
    the original resolution (CAMs are evaluated at full size).
    """

    def __init__(self, scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0)):
        if not scales or any(s <= 0 for s in scales):
            raise ValueError(f"scales must be positive numbers, got {scales}")
        self.scales = tuple(float(s) for s in scales)

    def __call__(self, image: Image.Image, mask: MaskArray = None):
        packs = []
        for scale in self.scales:
            chw = to_chw_tensor(normalize(pil_rescale(image, scale)))
            packs.append(torch.stack([chw, chw.flip(-1)]))
        return packs, mask_tensor(mask)

    def __repr__(self) -> str:
        return f"MultiScaleFlip(scales={self.scales})"


class AffinityTrainTransform:
    """IRN training augmentation (METHOD §4.2, IRN `VOC12AffinityDataset`): random rescale by a factor in
    `rescale` (bicubic image, nearest label), normalise, flip with p = 0.5, random crop (label padded with 255)."""

    def __init__(
        self,
        rescale: Sequence[float] = (0.5, 1.5),
        crop_size: int = 512,
        hflip: bool = True,
        generator: Optional[torch.Generator] = None,
    ):
        self.rescale = (float(rescale[0]), float(rescale[1]))
        self.crop_size, self.hflip, self.generator = int(crop_size), hflip, generator

    def __call__(self, image: Image.Image, mask: MaskArray = None):
        low, high = self.rescale
        scale = low + (high - low) * torch.rand(1, generator=self.generator).item()
        h, w = rescale_size(image.height, image.width, scale)
        image = image.resize((w, h), Image.BICUBIC)
        if mask is not None:
            mask = np.asarray(Image.fromarray(mask.astype(np.uint8)).resize((w, h), Image.NEAREST))
        return flip_crop_tensors(normalize(image), mask, self.crop_size, self.hflip, self.generator)

    def __repr__(self) -> str:
        return f"AffinityTrainTransform(rescale={self.rescale}, crop_size={self.crop_size}, hflip={self.hflip})"
