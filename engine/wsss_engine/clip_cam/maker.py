"""One image's training-free CAMs from a frozen CLIP (CLIP-ES, docs/METHOD.md §10), in our CAM record format.

`TrainingFreeCams.record(rgb, keys, words)`: for each labelled class k (ascending, as infer_cams writes them),
the Grad-CAM of the softmax probability of k's prompt among the foreground prompts (the image's labelled
classes, CLIP-ES's code, or all classes) and the background words' prompts; for a ViT CLIP refined with the
class-aware attention (vit_attention.py). `words[k]` lists the words whose prompt embeddings (normalised, then
averaged and normalised again, as CLIP's zero-shot classifiers average prompts) stand for class k: the class
name, POLE's selected word, or the top words fused (words.py).

The image goes in whole (no centre crop), resized so that each side is `scale` × its size rounded up to a
multiple of the tower's stride (CLIP-ES: scale 1, patch 16), the long side capped at `max_side` when set; the
tower's positional embedding is interpolated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigInvalid
from . import gradcam, vit_attention

SOFTMAX_OVER = ("labelled", "all")


@dataclass(frozen=True)
class CamSettings:
    """What shapes a training-free CAM (the stage's params and the editor's request share these)."""

    template: str = "a photo of {}."
    scale: float = 1.0
    max_side: int = 0  # cap on the input's long side (0: none); the editor's instant CAMs use one
    layer: str = "layer4"  # ResNet towers: the Grad-CAM stage
    softmax_over: str = "labelled"
    refine: bool = True  # ViT towers: class-aware attention refinement
    attention_layers: int = 8
    box_threshold: float = 0.4

    def __post_init__(self):
        if self.softmax_over not in SOFTMAX_OVER:
            raise ConfigInvalid(f"softmax_over must be one of {SOFTMAX_OVER}, not {self.softmax_over!r}")
        if "{}" not in self.template:
            raise ConfigInvalid(f"the prompt template {self.template!r} has no '{{}}' for the word")
        if not (self.scale > 0 and 0 < self.box_threshold < 1 and self.attention_layers >= 1):
            raise ConfigInvalid("scale must be > 0, box_threshold in (0, 1), attention_layers >= 1")


class TrainingFreeCams:
    def __init__(
        self,
        clip,
        classes: Sequence[str],
        class_words: Mapping[str, str],
        background: Sequence[str],
        settings: CamSettings = CamSettings(),
    ):
        """clip: a ClipScorer; class_words: the word that names each class in the softmax when it is not the
        target (the bank's ground-truth word); background: the background words."""
        self.clip, self.classes, self.settings = clip, list(classes), settings
        self.visual = clip.model.visual
        self.kind = gradcam.tower_kind(self.visual)
        self.stride = gradcam.stride(self.visual)
        self.class_words = [class_words.get(c, c) for c in self.classes]
        self.background = list(background)

    def prompt(self, word: str) -> str:
        return self.settings.template.format(word)

    def embedding(self, words: Sequence[str]) -> torch.Tensor:
        """D: the normalised mean of the words' normalised prompt embeddings."""
        emb = F.normalize(self.clip.encode_text([self.prompt(w) for w in words]), dim=-1).mean(dim=0)
        return F.normalize(emb, dim=-1)

    def input_tensor(self, rgb: np.ndarray) -> torch.Tensor:
        """uint8 H×W×3 -> 1×3×h×w CLIP-normalised, each side scale × size rounded up to the stride."""
        h, w = rgb.shape[:2]
        scale = self.settings.scale
        if self.settings.max_side and scale * max(h, w) > self.settings.max_side:
            scale = self.settings.max_side / max(h, w)
        size = [max(1, math.ceil(scale * s / self.stride)) * self.stride for s in (h, w)]
        x = torch.from_numpy(np.array(rgb, np.uint8)).to(self.clip.device).permute(2, 0, 1)[None].float() / 255
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False).clamp(0, 1)
        return self.clip.normalize(x).to(self.clip.dtype)

    def grid_cams(self, rgb: np.ndarray, keys: Sequence[int], words: Mapping[int, Sequence[str]]):
        """(K×h×w CAMs on the tower's grid, K probabilities of each target prompt) for classes `keys`."""
        keys = [int(k) for k in keys]
        if not keys:
            return torch.zeros(0, 1, 1), torch.zeros(0)
        fg = keys if self.settings.softmax_over == "labelled" else list(range(len(self.classes)))
        texts = [self.embedding(words.get(k) or [self.class_words[k]]) for k in fg]
        texts = torch.stack(texts + [self.embedding([b]) for b in self.background])
        with torch.enable_grad():
            tower = gradcam.tower_pass(
                self.visual, self.input_tensor(rgb), self.settings.layer, self.settings.attention_layers
            )
            probs = gradcam.class_probabilities(tower.embedding, texts, self.clip.model.logit_scale)
            targets = [fg.index(k) for k in keys]
            cams = gradcam.grad_cams(tower, probs, targets)
        if self.kind == "vit" and self.settings.refine:
            trans = vit_attention.image_transition(tower.attentions)
            cams = torch.stack([vit_attention.refine(c, trans, self.settings.box_threshold) for c in cams])
        return cams.detach(), probs[0, targets].detach()

    def record(self, rgb: np.ndarray, keys: Sequence[int], words: Mapping[int, Sequence[str]] | None = None):
        """(keys int64[K], cam K×ceil(H/4)×ceil(W/4), high_res K×H×W, probabilities[K]): the CAM file's arrays."""
        keys = sorted(int(k) for k in keys)
        cams, probs = self.grid_cams(rgb, keys, words or {})
        h, w = rgb.shape[:2]
        return (
            np.asarray(keys, np.int64),
            upsample(cams, (math.ceil(h / 4), math.ceil(w / 4))),
            upsample(cams, (h, w)),
            probs.float().cpu().numpy(),
        )


def upsample(cams: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """K×h×w -> K×H×W bilinear, each map max-normalised to 1 (all-zero maps stay zero)."""
    if cams.shape[0] == 0:
        return np.zeros((0, *size), np.float32)
    up = F.interpolate(cams[:, None].float(), size=size, mode="bilinear", align_corners=False)[:, 0].clamp_min(0)
    up = up / up.flatten(1).amax(dim=1).clamp_min(1e-5)[:, None, None]
    return up.cpu().numpy().astype(np.float32)
