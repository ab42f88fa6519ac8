"""Training samples of the tiny CLIP: generated scenes, masked the way CLIMS masks images, with captions.

docs/DESIGN.md#the-synthetic-world: without masked inputs in its own training a tiny CLIP reads the class from the context
left in the background and CLIMS gains nothing. So besides whole scenes the batches hold
  * "keep":   one class kept, everything else black (what X·P_k looks like, docs/METHOD.md §1.3), caption names it;
  * "remove": one class blacked out (X·(1−P_k)), caption names what is still visible;
  * "bare":   every object blacked out, caption names the background only, or, for a weak class's usual
              texture, sometimes that class's name (words.NAME_TEXTURE_RATE, docs/SYNTHETIC-WORLD.md §1).
Masks are randomly dilated and blurred like CAMs. Pixels are masked in raw [0, 1] space with black fill;
normalisation (mean/std stored in the checkpoint) happens at the image tower's input.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .scene import BACKGROUNDS, CLASSES, DEFAULT_COOCCURRENCE, sample_scene
from .words import caption

KINDS = ("full", "keep", "remove", "bare")
KIND_P = (0.35, 0.35, 0.2, 0.1)


class ScenePool:
    """N generated scenes held as tensors: images (N,3,H,W) uint8, per-class masks (N,C,H,W) bool."""

    def __init__(self, n: int, size: int, seed: int, stream: int = 3, p_cooccur: float = 0.5, style: str = "classic"):
        self.size = size
        images = np.zeros((n, size, size, 3), np.uint8)
        masks = np.zeros((n, len(CLASSES), size, size), bool)
        self.backgrounds: list[str] = []
        self.in_scene = np.zeros(n, bool)  # sampled with the world's co-occurrence (a "usual" scene)
        for i in range(n):
            rng = np.random.default_rng([seed, stream, i])
            usual = rng.random() < p_cooccur
            scene = sample_scene(rng, size, DEFAULT_COOCCURRENCE if usual else None, style=style)
            images[i] = (scene.image * 255 + 0.5).astype(np.uint8)
            for k, m in scene.instances:
                masks[i, k] |= m
            self.backgrounds.append(scene.background)
            self.in_scene[i] = usual
        self.images = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
        self.masks = torch.from_numpy(masks)
        self.present = [np.flatnonzero(masks[i].reshape(len(CLASSES), -1).any(1)).tolist() for i in range(n)]

    def __len__(self) -> int:
        return len(self.present)

    def channel_stats(self) -> tuple[list[float], list[float]]:
        x = self.images.float() / 255
        return x.mean((0, 2, 3)).tolist(), x.std((0, 2, 3)).tolist()


def cam_like(mask: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Randomly dilate (0–2 px) and blur a batch of binary masks (B,1,H,W) into soft CAM-like masks."""
    m = mask.float()
    b = m.shape[0]
    dil = torch.randint(0, 3, (b,), generator=g)
    out = m.clone()
    for r in (1, 2):
        grown = F.max_pool2d(m, 2 * r + 1, stride=1, padding=r)
        out = torch.where((dil == r).view(-1, 1, 1, 1), grown, out)
    blur = torch.rand(b, generator=g) < 0.5
    soft = F.avg_pool2d(out, 3, stride=1, padding=1, count_include_pad=False)
    out = torch.where(blur.view(-1, 1, 1, 1), soft, out)
    peak = 0.75 + 0.25 * torch.rand(b, 1, 1, 1, generator=g)
    return out * torch.where(blur.view(-1, 1, 1, 1), peak, torch.ones_like(peak))


def sample_batch(
    pool: ScenePool, batch: int, rng: np.random.Generator, g: torch.Generator, gt_scene_rate: float = 0.5
) -> tuple[torch.Tensor, list[str]]:
    """One training batch: raw images in [0, 1] (B,3,H,W) and one caption per image."""
    idx = rng.integers(0, len(pool), batch)
    kinds = rng.choice(len(KINDS), size=batch, p=KIND_P)
    images = pool.images[idx].float() / 255
    sel = torch.zeros(batch, 1, pool.size, pool.size)
    captions = []
    masked = torch.ones(batch, dtype=torch.bool)
    for j, (i, kind) in enumerate(zip(idx, kinds)):
        present = pool.present[i]
        bg = pool.backgrounds[i]
        kind = KINDS[kind] if present else "full"
        if kind == "full":
            captions.append(caption(rng, [CLASSES[k] for k in present], bg, True, gt_scene_rate))
            masked[j] = False
        elif kind == "bare":
            sel[j, 0] = pool.masks[i].any(0)
            captions.append(caption(rng, [], bg, False))
        else:
            k = present[rng.integers(len(present))]
            sel[j, 0] = pool.masks[i, k]
            if kind == "keep":
                captions.append(caption(rng, [CLASSES[k]], None, False))
            else:
                rest = [CLASSES[c] for c in present if c != k]
                captions.append(caption(rng, rest, bg, False, gt_scene_rate, p_background=0.7))
    soft = cam_like(sel, g)
    keep = torch.from_numpy(kinds == KINDS.index("keep")).view(-1, 1, 1, 1)
    factor = torch.where(keep, soft, 1 - soft)
    images = torch.where(masked.view(-1, 1, 1, 1), images * factor, images)
    flip = torch.rand(batch, generator=g) < 0.5
    images[flip] = images[flip].flip(-1)
    return images, captions


def single_object_set(n_per_class: int, size: int, seed: int, stream: int = 4, style: str = "classic"):
    """Held-out single-object scenes on any background: (images (N,3,H,W) in [0,1], masks (N,1,H,W), labels)."""
    imgs, masks, labels = [], [], []
    for k, name in enumerate(CLASSES):
        for i in range(n_per_class):
            rng = np.random.default_rng([seed, stream, k, i])
            scene = sample_scene(rng, size, None, names=[name], style=style)
            if not scene.instances:
                continue
            imgs.append(scene.image)
            masks.append(scene.label > 0)
            labels.append(k)
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float()
    m = torch.from_numpy(np.stack(masks)).unsqueeze(1).float()
    return x, m, torch.tensor(labels)


def background_set(n_per_texture: int, size: int, seed: int, stream: int = 5):
    """Held-out background-only images: (images (N,3,H,W) in [0,1], texture names)."""
    from .textures import render_texture

    imgs, names = [], []
    for t, name in enumerate(BACKGROUNDS):
        for i in range(n_per_texture):
            imgs.append(render_texture(name, np.random.default_rng([seed, stream, t, i]), size, size))
            names.append(name)
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float(), names
