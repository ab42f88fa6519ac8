"""Which words' prompts a class's training-free CAM is computed for (docs/METHOD.md §10.3).

- "class": the bank's ground-truth word (the class name), CLIP-ES's setting;
- "selected": POLE's selection (METHOD §2.2) on the training-free CAMs: the class-name CAM masks the image, the
  selection step's scorer (pole/selection.py, cosine of the masked image to "a photo of [w]." for every bank
  candidate) picks a word per image and class, and the CAM is computed again with that word;
- "fusion": as "selected", but the `top_k` best-scoring words' prompt embeddings are averaged (CLIP-ES's synonym
  fusion: several names of one class in one text embedding).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..pole.selection import WordScorer, masked_rgb

WORD_MODES = ("class", "selected", "fusion")


def top_words(scores: dict[str, float], k: int) -> list[str]:
    """The k best-scoring words, best first (ties: bank order, as max() in select_offline)."""
    return sorted(scores, key=lambda w: -scores[w])[: max(1, k)]  # a stable sort keeps bank order on ties


def score_words(maker, scorer: WordScorer, rgb: np.ndarray, keys: Sequence[int]) -> dict[int, dict[str, float]]:
    """{class index: {word: cosine}}: every candidate scored on the image masked by its class-name CAM."""
    keys = sorted(int(k) for k in keys)
    if not keys:
        return {}
    _, _, high_res, _ = maker.record(rgb, keys)
    clip = maker.clip
    with torch.no_grad():
        batch = torch.stack([clip.preprocess(masked_rgb(rgb, cam)) for cam in high_res]).to(clip.device)
        emb = clip.encode_image(clip.normalize(batch))
    return dict(zip(keys, scorer.scores(emb, keys)))


def words_for(mode: str, scores: dict[int, dict[str, float]], top_k: int) -> dict[int, list[str]]:
    """{class index: words whose prompts stand for it} for "selected" / "fusion" ("class" needs no scores)."""
    if mode == "class":
        return {}
    return {k: top_words(s, 1 if mode == "selected" else top_k) for k, s in scores.items()}
