"""Masked images X·P_k and X·(1−P_k) fed to CLIP (METHOD §1.3), in two modes.

- "reference": CLIMS/POLE as released — squash the ImageNet-normalised crop to CLIP's input size (bilinear,
  align_corners=True), multiply by the upsampled sigmoid CAM, feed to CLIP as is. A masked-out pixel becomes the
  dataset mean colour; CLIP never sees its own mean/std (METHOD §1.3, §7.10).
- "raw": denormalise to [0,1] RGB, squash, multiply by the CAM (masked-out = black), then apply CLIP's own
  mean/std. The synthetic world's tiny CLIP was trained with black fill, so it needs this (docs/DESIGN.md#the-synthetic-world).

Pairs (n, k) are the positive labels in row-major order of nonzero(label == 1) (METHOD §1.3 step 3).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MODES = ("reference", "raw")


def positive_pairs(labels: torch.Tensor) -> torch.Tensor:
    """P×2 long tensor of (image index, class index), image-major, class-ascending."""
    return torch.nonzero(labels > 0.5, as_tuple=False)


def denormalize_imagenet(images: torch.Tensor) -> torch.Tensor:
    # non_blocking: new_tensor() on a GPU is a blocking copy, a host sync inside the training step (issue 11)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1).to(images, non_blocking=True)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1).to(images, non_blocking=True)
    return images * std + mean


def squash(x: torch.Tensor, size: int) -> torch.Tensor:
    """Whole-image resize to size×size: bilinear, align_corners=True, no crop, no antialias (METHOD §1.3)."""
    if x.shape[-2:] == (size, size):
        return x
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=True)


def masked_images(
    images: torch.Tensor, cams: torch.Tensor, pairs: torch.Tensor, clip, mode: str = "reference"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Foreground and background images for every pair, CLIP-ready: two P×3×S×S tensors.

    images: N×3×H×W ImageNet-normalised crops; cams: N×C×h×w sigmoid CAMs in [0,1]; clip: a ClipScorer.
    Only the P used CAM channels are upsampled (the reference upsamples all C, with the same values).
    """
    if mode not in MODES:
        raise ValueError(f"unknown masking mode {mode!r}; use one of {MODES}")
    size = clip.image_size
    n, k = pairs[:, 0], pairs[:, 1]
    cam = squash(cams[n, k].unsqueeze(1).float(), size)  # P×1×S×S
    if mode == "reference":
        img = squash(images.float(), size)[n]  # P×3×S×S, still ImageNet-normalised
        return img * cam, img * (1.0 - cam)
    img = squash(denormalize_imagenet(images.float()), size)[n]  # [0,1] RGB
    return clip.normalize(img * cam), clip.normalize(img * (1.0 - cam))
