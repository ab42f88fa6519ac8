"""Class-aware attention refinement (CAA) of a ViT CLIP's Grad-CAM (CLIP-ES §3.3, docs/METHOD.md §10.2).

The patch-to-patch attention of the last blocks (head-averaged, mean over the kept blocks) is a class-agnostic
affinity. CLIP-ES makes it a transition matrix by alternately normalising its columns and rows (three rounds,
Sinkhorn-like), symmetrises it and squares it (two steps of the walk); the class-aware part is a mask: only
patches inside the bounding boxes of the CAM's confident regions (CAM > box_threshold × max) may pass activation
on. The refined CAM is that masked matrix times the CAM, min-max normalised.

Boxes: one per 8-connected region of the thresholded map (the reference takes cv2 contours' bounding rectangles,
which for the outer contours are the same boxes; inner contours' boxes lie inside them). The reference clamps a
box's far edge to the map's last row/column, used as an exclusive end, so it never includes that row/column; we
include it (boxes are the regions' own extents).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from .gradcam import min_max


def box_mask(cam: torch.Tensor, threshold: float = 0.4) -> torch.Tensor:
    """h×w {0,1} mask: the bounding boxes of the connected regions where cam > threshold × max(cam)."""
    values = cam.detach().cpu().numpy()
    labels, _ = ndimage.label(values > threshold * values.max(), structure=np.ones((3, 3), bool))
    mask = np.zeros(values.shape, np.float32)
    for box in ndimage.find_objects(labels):
        if box is not None:
            mask[box] = 1.0
    return torch.from_numpy(mask).to(cam.device)


def transition(attention: torch.Tensor, rounds: int = 3, steps: int = 2) -> torch.Tensor:
    """hw×hw affinity from averaged attention: column/row normalisation rounds, symmetrised, `steps`-th power."""
    t = attention.float()
    for _ in range(rounds):
        t = t / t.sum(dim=0, keepdim=True).clamp_min(1e-12)
        t = t / t.sum(dim=1, keepdim=True).clamp_min(1e-12)
    t = (t + t.t()) / 2
    return torch.linalg.matrix_power(t, steps)


def refine(cam: torch.Tensor, attention: torch.Tensor, box_threshold: float = 0.4) -> torch.Tensor:
    """h×w CAM (0..1) refined by an hw×hw transition matrix masked to the CAM's boxes (columns: source patches)."""
    h, w = cam.shape
    masked = attention * box_mask(cam, box_threshold).reshape(1, h * w)
    return min_max((masked @ cam.reshape(h * w, 1).float()).reshape(h, w))


def image_transition(attentions: list[torch.Tensor], image: int = 0) -> torch.Tensor:
    """The transition matrix of one image from the kept blocks' attentions (N×hw×hw each)."""
    return transition(torch.stack([a[image] for a in attentions]).mean(dim=0))
