"""POLE prompt selection (METHOD §2.2): per (image, GT class), the bank word whose prompt best matches
the CAM-masked image under CLIP; every word's cosine is kept.

Offline (the official code's mode; run once before training, from saved CAMs `cams/<set>/<id>.npy`):
RGB uint8 image × the class's `high_res` CAM normalised to [0,1] (not BGR, no second ×255: the released
script's bugs, §2.2), the CLIP model's own eval transform (open_clip's: short side to S bicubic with its
rounding, a 500×375 image becomes 298×224; centre crop S; CLIP mean/std), cosine to "a photo of {w}." for every
candidate w, argmax.

Online (`OnlineSelection`, an ablation not in the official code, §9.3): during training, every `every` steps
the batch's words are re-selected from the current CAMs' foreground embeddings (the masked images the losses
already encode), and kept in a table used by the other steps.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from ..data.cam_files import load_cam
from ..errors import DatasetError
from .synonym_bank import SynonymBank

TEMPLATE = "a photo of {}."


def read_cam_file(path: Path) -> dict:
    """A CAM file written by infer_cams: dict with keys (class indices), cam (stride 4), high_res."""
    if not path.is_file():
        raise DatasetError(
            f"no saved CAM {path}", hint="run the infer_cams stage on this image list first", path=str(path)
        )
    return load_cam(path)


def masked_rgb(rgb: np.ndarray, cam: np.ndarray) -> Image.Image:
    """uint8 RGB H×W×3 × CAM H×W normalised to [0,1] -> uint8 PIL image (black fill)."""
    cam = cam.astype(np.float32)
    cam = np.clip(cam / max(float(cam.max()), 1e-5), 0.0, 1.0)
    return Image.fromarray((rgb.astype(np.float32) * cam[..., None]).round().clip(0, 255).astype(np.uint8))


class WordScorer:
    """Cosines of image embeddings against every candidate prompt of a class (text embeddings cached)."""

    def __init__(self, clip, bank: SynonymBank, classes: Sequence[str], template: str = TEMPLATE):
        self.clip, self.bank, self.classes, self.template = clip, bank, list(classes), template
        self._text: dict[int, torch.Tensor] = {}

    def text(self, k: int) -> torch.Tensor:
        if k not in self._text:
            words = self.bank.candidates(self.classes[k])
            self._text[k] = F.normalize(self.clip.encode_text([self.template.format(w) for w in words]), dim=-1)
        return self._text[k]

    def scores(self, image_emb: torch.Tensor, class_idx: Sequence[int]) -> list[dict[str, float]]:
        """For each embedding row and its class: {word: cosine}."""
        img = F.normalize(image_emb.detach().float(), dim=-1)
        out = []
        for row, k in zip(img, class_idx):
            cos = (self.text(k) @ row).tolist()
            out.append(dict(zip(self.bank.candidates(self.classes[k]), cos)))
        return out


def select_offline(
    items: Iterable[tuple[str, np.ndarray]],
    cams_dir: Path,
    clip,
    bank: SynonymBank,
    classes: Sequence[str],
    batch_size: int = 64,
    check_cancelled=lambda: None,
    progress=lambda done: None,
    result: dict | None = None,
    keep=None,
) -> dict:
    """items: (image id, uint8 RGB array). Returns {id: {class: {"word", "scores"}}} (prompt_selection "images").

    `result` (optional) is filled in place, so a caller can save what is done when cancelled.
    `keep(image_id, class_index) -> bool` (optional) scores only those pairs (the synonym panel's class filter)."""
    scorer = WordScorer(clip, bank, classes)
    result = {} if result is None else result
    pending: list[tuple[str, int, torch.Tensor]] = []

    def flush():
        if not pending:
            return
        with torch.no_grad():
            batch = clip.normalize(torch.stack([t for _, _, t in pending]).to(clip.device))
            emb = clip.encode_image(batch)
        for (image_id, k, _), scores in zip(pending, scorer.scores(emb, [k for _, k, _ in pending])):
            result.setdefault(image_id, {})[classes[k]] = {"word": max(scores, key=scores.get), "scores": scores}
        pending.clear()

    for done, (image_id, rgb) in enumerate(items, 1):
        check_cancelled()
        cam = read_cam_file(Path(cams_dir) / f"{image_id}.npy")
        high_res = np.asarray(cam["high_res"], np.float32)
        if high_res.shape[-2:] != rgb.shape[:2]:
            raise DatasetError(
                f"CAM {cams_dir}/{image_id}.npy is {high_res.shape[-2:]} but the image is {rgb.shape[:2]}",
                hint="re-run infer_cams for this dataset",
                path=str(Path(cams_dir) / f"{image_id}.npy"),
            )
        for i, k in sorted(enumerate(np.asarray(cam["keys"]).tolist()), key=lambda t: t[1]):  # class-ascending
            if keep is None or keep(image_id, int(k)):
                pending.append((image_id, int(k), clip.preprocess(masked_rgb(rgb, high_res[i]))))
        if len(pending) >= batch_size:
            flush()
        progress(done)
    flush()
    return result


def selection_stats(images: dict, classes: Sequence[str], bank: SynonymBank) -> dict[str, dict[str, int]]:
    """{class: {word: count}} over all selected (image, class) instances, every candidate listed."""
    counts = {c: Counter() for c in classes}
    for per_class in images.values():
        for cls, entry in per_class.items():
            counts[cls][entry["word"]] += 1
    return {c: {w: counts[c][w] for w in bank.candidates(c)} for c in classes if sum(counts[c].values())}


class OnlineSelection:
    """Per-(image, class) word table refreshed from the training CAMs every `every` steps (§9.3 ablation)."""

    def __init__(
        self,
        clip,
        bank: SynonymBank,
        classes: Sequence[str],
        every: int = 1,
        initial: dict[str, dict[str, str]] | None = None,
    ):
        self.scorer = WordScorer(clip, bank, classes)
        self.bank, self.classes, self.every = bank, list(classes), max(1, int(every))
        self.table: dict[str, dict[str, str]] = {k: dict(v) for k, v in (initial or {}).items()}
        self.step = 0
        self.refreshes = 0

    def words(self, ids: Sequence[str], pairs: torch.Tensor, fg_emb: torch.Tensor) -> list[str]:
        """Words for this step's pairs; re-selects (and stores) them first on a refresh step."""
        n_idx, k_idx = pairs[:, 0].tolist(), pairs[:, 1].tolist()
        if self.step % self.every == 0:
            for n, k, scores in zip(n_idx, k_idx, self.scorer.scores(fg_emb, k_idx)):
                self.table.setdefault(ids[n], {})[self.classes[k]] = max(scores, key=scores.get)
            self.refreshes += 1
        self.step += 1
        return [
            self.table.get(ids[n], {}).get(self.classes[k], self.bank.gt_word(self.classes[k]))
            for n, k in zip(n_idx, k_idx)
        ]

    def state_dict(self) -> dict:
        return {"table": self.table, "step": self.step, "refreshes": self.refreshes}

    def load_state_dict(self, state: dict) -> None:
        self.table, self.step, self.refreshes = state["table"], state["step"], state["refreshes"]
