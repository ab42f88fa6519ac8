"""The tensor input pipeline: JPEG decode and augmentation on the stage's device (issue 11; METHOD §1.1, §3.1).

The reference pipeline (data/transforms.py) decodes with PIL and augments with PIL/numpy in DataLoader workers.
Here the workers only read the file bytes and draw the random augmentation parameters (data/encoded.py); the
main process uploads uint8 bytes, decodes them on the device (nvJPEG via torchvision.io.decode_jpeg on CUDA,
libjpeg-turbo on the CPU) and resizes / flips / crops / normalises with torchvision.transforms.v2 on tensors.

Same semantics as the reference, given the same draws (the draws are made by the same functions, in the same
order, from the same seeded RNG):
- training (METHOD §1.1): long side -> random integer in [low, high], bicubic; flip p = 0.5; random crop, the
  part outside the image is 0 after normalisation (the mean colour);
- affinity training (METHOD §4.2): rescale by a random factor, then the same flip and crop, the label nearest;
- inference (METHOD §3.1): per scale a bicubic rescale of the full image, stacked with its horizontal flip.
Differences: the CPU decode is bit-identical to PIL's; the CPU uint8 bicubic resize is PIL's algorithm (within
2/255 of it); the nearest label resize picks a neighbouring source pixel for < 1% of pixels; on CUDA the resize runs in float without PIL's intermediate rounding (engine/tests/
test_tensor_pipeline.py states both tolerances).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence, Tuple

import torch
from torchvision.io import ImageReadMode, decode_image, decode_jpeg
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from ..errors import ConfigInvalid
from .transforms import IGNORE_INDEX, IMAGENET_MEAN, IMAGENET_STD, randint_inclusive, random_crop_box, rescale_size

INPUT_PIPELINES = ("reference", "tensor")
Box = Tuple[int, int, int, int, int, int, int, int]


def check_input_pipeline(name: str) -> str:
    """A stage's `input_pipeline` param, checked (the schema's enum covers configs; this, params built by hand)."""
    if name not in INPUT_PIPELINES:
        raise ConfigInvalid(
            f"unknown input_pipeline {name!r}",
            hint="use reference (PIL in the loader workers) or tensor (decode and augment on the device)",
        )
    return name


@dataclass(frozen=True)
class Draw:
    """One image's augmentation draws: rescaled (h, w), flip, crop box (transforms.random_crop_box)."""

    size: Tuple[int, int]
    flip: bool
    box: Box


def _flip_and_box(size, crop: int, hflip: bool, generator) -> Draw:
    # the order of transforms.flip_crop_tensors: the flip coin first, then the crop offsets
    flip = bool(hflip and torch.rand(1, generator=generator).item() < 0.5)
    return Draw(size, flip, random_crop_box(size[0], size[1], crop, generator))


def draw_train(height: int, width: int, resize_long, crop: int, hflip: bool = True, generator=None) -> Draw:
    """The draws of transforms.TrainTransform for an image of height×width."""
    target = randint_inclusive(int(resize_long[0]), int(resize_long[1]), generator)
    size = rescale_size(height, width, target / max(height, width))
    return _flip_and_box(size, crop, hflip, generator)


def draw_affinity(height: int, width: int, rescale, crop: int, hflip: bool = True, generator=None) -> Draw:
    """The draws of transforms.AffinityTrainTransform."""
    low, high = float(rescale[0]), float(rescale[1])
    scale = low + (high - low) * torch.rand(1, generator=generator).item()
    return _flip_and_box(rescale_size(height, width, scale), crop, hflip, generator)


def is_jpeg(encoded: torch.Tensor) -> bool:
    return encoded.numel() > 2 and int(encoded[0]) == 0xFF and int(encoded[1]) == 0xD8


def decode(encoded: Sequence[torch.Tensor], device: torch.device) -> list:
    """File bytes (1-D uint8 CPU tensors) -> uint8 3×H×W RGB tensors on `device`. JPEGs are decoded on the GPU
    in one batched call where CUDA is the device; other formats (PNG) and CPU devices decode on the CPU.
    Raises RuntimeError from torchvision for an undecodable file (callers name the file)."""
    out: list = [None] * len(encoded)
    if device.type == "cuda":
        jpeg = [i for i, e in enumerate(encoded) if is_jpeg(e)]
        if jpeg:
            images = decode_jpeg([encoded[i] for i in jpeg], mode=ImageReadMode.RGB, device=device)
            for i, image in zip(jpeg, images):
                out[i] = image
    for i, e in enumerate(encoded):
        if out[i] is None:
            out[i] = decode_image(e, mode=ImageReadMode.RGB).to(device, non_blocking=True)
    return out


def resize(image: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bicubic with antialiasing (PIL's filter) of a uint8 3×H×W tensor; uint8 out."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return TF.resize(image, list(size), interpolation=InterpolationMode.BICUBIC, antialias=True)


@lru_cache(maxsize=None)
def _mean_std(device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
    # made once per device: a tensor from a Python list is a blocking host-to-device copy
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(3, 1, 1).to(device)
    return mean, torch.tensor(IMAGENET_STD, dtype=torch.float32).view(3, 1, 1).to(device)


def normalize(image: torch.Tensor) -> torch.Tensor:
    """uint8 3×H×W -> float32, ImageNet mean/std: the float32 operations of transforms.normalize, in its order."""
    mean, std = _mean_std(image.device)
    return (image.float() / 255.0 - mean) / std


def apply_draw(
    image: torch.Tensor, draw: Draw, crop: int, mask: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Rescale, flip, crop and normalise one decoded image (and its H×W label, nearest / 255 padding)."""
    cy0, cy1, cx0, cx1, sy0, sy1, sx0, sx1 = draw.box
    x = resize(image, draw.size)
    if draw.flip:
        x = x.flip(-1)
    out = x.new_zeros((3, crop, crop), dtype=torch.float32)
    out[:, cy0:cy1, cx0:cx1] = normalize(x[:, sy0:sy1, sx0:sx1])  # crop first: only the kept pixels normalised
    out_mask = None
    if mask is not None:
        m = TF.resize(mask[None], list(draw.size), interpolation=InterpolationMode.NEAREST_EXACT)[0]
        if draw.flip:
            m = m.flip(-1)
        out_mask = torch.full((crop, crop), IGNORE_INDEX, dtype=torch.int64, device=m.device)
        out_mask[cy0:cy1, cx0:cx1] = m[sy0:sy1, sx0:sx1].long()
    return out, out_mask


def multiscale_packs(image: torch.Tensor, scales: Sequence[float]) -> list:
    """METHOD §3.1 inputs of one decoded image: per scale a 2×3×h×w tensor [rescaled, its flip]."""
    h, w = image.shape[-2:]
    packs = []
    for scale in scales:
        x = normalize(resize(image, rescale_size(h, w, float(scale))))
        packs.append(torch.stack([x, x.flip(-1)]))
    return packs
