"""The CLIMS / POLE training objective for one batch (METHOD §1.3–1.4, §2.2–2.3; POLE Eq. 5, 7–8).

sigmoid CAMs -> masked images (fg X·P_k, bg X·(1−P_k)) -> frozen CLIP -> [adaptors] -> cosines with the
pair's prompt "a photo of {word}." -> L_OTM, L_BTM; fg embeddings vs background prompts -> L_CBS; L_REG.

CLIP calls per step ("clip_calls"):
- "single":    fg and bg of every pair in ONE batched encode_image (the fast path; CBS reuses the fg embeddings);
- "reference": three batched calls as CLIMS `train_clims.py` (fg for OTM, bg for BTM, fg again for CBS);
- "per_image": one call per masked image, fg encoded again for CBS as the reference does (slowest; the
               reference-configuration benchmark).
"""

from __future__ import annotations

from typing import Sequence

import torch

from ..losses.clims import (
    ClimsLossConfig,
    btm_loss,
    cbs_loss_class_specific,
    cbs_loss_threshold,
    cosine,
    otm_loss,
    reg_loss,
    total_loss,
)
from ..models.adaptors import ClipAdaptors
from ..models.masked_images import masked_images, positive_pairs

CLIP_CALLS = ("single", "reference", "per_image")


class ClimsObjective:
    def __init__(
        self,
        clip,
        loss: ClimsLossConfig,
        class_names: Sequence[str],
        class_words: Sequence[str],
        template: str = "a photo of {}.",
        mask_mode: str = "reference",
        clip_calls: str = "single",
        adaptors: ClipAdaptors | None = None,
        prompts=None,
    ):
        if clip_calls not in CLIP_CALLS:
            raise ValueError(f"clip_calls must be one of {CLIP_CALLS}")
        self.clip, self.loss, self.template = clip, loss, template
        self.class_names, self.class_words = list(class_names), list(class_words)
        self.mask_mode, self.clip_calls, self.adaptors = mask_mode, clip_calls, adaptors
        self.prompts = prompts  # learnable prompts (prompts/learned.py, METHOD §2.4): (words, classes) -> T×D
        self.class_weight = torch.tensor([loss.class_weights.get(c, 1.0) for c in self.class_names])

    def _encode(self, images: torch.Tensor) -> torch.Tensor:
        if self.clip_calls == "per_image":
            return torch.cat([self.clip.encode_image(images[i : i + 1]) for i in range(images.shape[0])])
        return self.clip.encode_image(images)

    def image_embeddings(self, fg: torch.Tensor, bg: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(fg for OTM, bg for BTM, fg for CBS) raw CLIP embeddings."""
        if self.clip_calls == "single":
            emb = self._encode(torch.cat([fg, bg]))
            fg_emb, bg_emb = emb[: fg.shape[0]], emb[fg.shape[0] :]
            return fg_emb, bg_emb, fg_emb
        return self._encode(fg), self._encode(bg), self._encode(fg)

    def cbs(self, fg_emb: torch.Tensor, pair_classes: list[str]) -> torch.Tensor:
        cfg = self.loss
        if cfg.cbs == 0:
            return fg_emb.new_zeros(())
        if cfg.cbs_mode == "threshold_sum":
            bg_text = self.clip.encode_text([cfg.background_template.format(w) for w in cfg.background_words])
            return cbs_loss_threshold(fg_emb, bg_text, cfg.cbs_threshold)
        if cfg.cbs_mode == "class_specific":
            texts = {
                c: self.clip.encode_text([cfg.background_template.format(w) for w in words])
                for c, words in cfg.class_backgrounds.items()
            }
            return cbs_loss_class_specific(fg_emb, pair_classes, texts)
        raise ValueError(f"unknown cbs_mode {cfg.cbs_mode!r}")

    def pair_words(self, pairs: torch.Tensor, words: list[str] | None) -> list[str]:  # pairs on the CPU
        """The word of each (image, class) pair: given (selection) or the class's ground-truth word."""
        if words is not None:
            if len(words) != pairs.shape[0]:
                raise ValueError(f"{len(words)} prompt words for {pairs.shape[0]} positive (image, class) pairs")
            return words
        return [self.class_words[k] for k in pairs[:, 1].tolist()]

    def __call__(
        self, images: torch.Tensor, cams: torch.Tensor, labels: torch.Tensor, words=None, labels_cpu=None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """words: None (ground-truth words), a list (one per positive pair, e.g. an offline selection), or
        a callable (pairs, raw fg embeddings) -> list (online selection).
        labels_cpu: the loader's CPU copy of `labels`: the pairs are built from it, so the step never waits
        for the device (a nonzero() or tolist() of a CUDA tensor does; issue 11)."""
        pairs_cpu = positive_pairs(labels.cpu() if labels_cpu is None else labels_cpu)
        pairs = pairs_cpu.to(cams.device, non_blocking=True)
        fg, bg = masked_images(images, cams, pairs, self.clip, self.mask_mode)
        fg_emb, bg_emb, fg_cbs = self.image_embeddings(fg, bg)
        if callable(words):
            words = words(pairs_cpu, fg_emb.detach())
        pair_words = self.pair_words(pairs_cpu, words)
        pair_classes = pairs_cpu[:, 1].tolist()
        if self.prompts is not None:
            text = self.prompts(pair_words, pair_classes)
        else:
            text = self.clip.encode_text([self.template.format(w) for w in pair_words])
        if self.adaptors is not None:  # Eq. 7–8 on raw embeddings, before L2 normalisation; OTM/BTM only
            fg_emb, bg_emb = self.adaptors.image(fg_emb), self.adaptors.image(bg_emb)
            text = self.adaptors.text(text)
        weights = None
        if self.loss.class_weights:
            weights = self.class_weight.to(fg_emb.device, non_blocking=True)[pairs[:, 1]]
        terms = {
            "otm": otm_loss(cosine(fg_emb, text), weights),
            "btm": btm_loss(cosine(bg_emb, text), weights),
            "cbs": self.cbs(fg_cbs, [self.class_names[k] for k in pair_classes]),
            "reg": reg_loss(cams, labels, self.loss.reg_form) if self.loss.reg else cams.new_zeros(()).float(),
        }
        return total_loss(self.loss, terms), terms
