"""What the tiny CLIP knows, measured on held-out generated images, and its calibrated L_CBS threshold.

* zero-shot accuracy on single objects (whole image, and object-only masked like X·P_k);
* per class, the mean cosine of each bank word's prompt with the object-only images: POLE's selection
  (docs/METHOD.md §2.2) has something to find only where a synonym beats the class name clearly (docs/DESIGN.md#the-synthetic-world:
  a gap of ~0.3);
* the L_CBS threshold (docs/METHOD.md §1.4: 0.26 for real CLIP, whose cosines live in ~0.2–0.35): here taken
  from this model's own similarities, between what clean foregrounds score against background prompts
  and what backgrounds score against their own prompts.
"""

from __future__ import annotations

import numpy as np
import torch

from .clip_data import background_set, single_object_set
from .scene import BACKGROUNDS, CLASSES, DEFAULT_COOCCURRENCE, sample_scene
from .words import BACKGROUND_PROMPTS, BACKGROUND_WORDS, BANK


@torch.no_grad()
def _encode(clip, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    return torch.cat([clip.image_features(images[i : i + batch]) for i in range(0, len(images), batch)])


@torch.no_grad()
def usual_scene_set(n_per_class: int, size: int, seed: int, stream: int = 6, style: str = "classic"):
    """Single objects of the co-occurring classes on their usual background (what a spread CAM keeps)."""
    imgs, labels = [], []
    for name, (texture, _) in DEFAULT_COOCCURRENCE.items():
        for i in range(n_per_class):
            scene = sample_scene(
                np.random.default_rng([seed, stream, CLASSES.index(name), i]),
                size,
                {name: [texture, 1.0]},
                names=[name],
                style=style,
            )
            imgs.append(scene.image)
            labels.append(CLASSES.index(name))
    return torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float(), torch.tensor(labels)


@torch.no_grad()
def evaluate_tiny_clip(clip, n_per_class: int = 60, seed: int = 1000, style: str = "classic") -> dict:
    size = clip.input_size
    images, masks, labels = single_object_set(n_per_class, size, seed, style=style)
    feats_full = _encode(clip, images)
    feats_obj = _encode(clip, images * masks)
    gt = clip.text_features(CLASSES)
    report: dict = {"n_images": int(len(labels))}
    acc = lambda f, t: float(((f @ t.t()).argmax(1) == labels).float().mean())  # noqa: E731
    report["zero_shot_gt_full"] = acc(feats_full, gt)
    report["zero_shot_gt_masked"] = acc(feats_obj, gt)

    words: dict = {}
    best = []
    for k, cls in enumerate(CLASSES):
        sims = (feats_obj[labels == k] @ clip.text_features(BANK[cls]).t()).mean(0)
        words[cls] = {w: round(float(s), 4) for w, s in zip(BANK[cls], sims)}
        best.append(BANK[cls][int(sims.argmax())])
    best_t = clip.text_features(best)
    report["best_words"] = dict(zip(CLASSES, best))
    report["zero_shot_best_full"] = acc(feats_full, best_t)
    report["zero_shot_best_masked"] = acc(feats_obj, best_t)
    report["word_cosine_masked"] = words
    report["gap_best_minus_gt"] = {c: round(max(w.values()) - w[c], 4) for c, w in words.items()}
    # issue 10's measure: best synonym (class name excluded) minus the class name; negative where the name wins
    report["synonym_gap"] = {c: round(max(s for n, s in w.items() if n != c) - w[c], 4) for c, w in words.items()}

    usual, ulabels = usual_scene_set(max(10, n_per_class // 2), size, seed, style=style)
    fu = _encode(clip, usual)
    report["word_cosine_usual_scene"] = {
        CLASSES[k]: {
            w: round(float(s), 4)
            for w, s in zip(BANK[CLASSES[k]], (fu[ulabels == k] @ clip.text_features(BANK[CLASSES[k]]).t()).mean(0))
        }
        for k in sorted(set(ulabels.tolist()))
    }
    report["cbs"] = calibrate_cbs(clip, feats_obj, seed)
    return report


@torch.no_grad()
def calibrate_cbs(clip, clean_object_feats: torch.Tensor, seed: int) -> dict:
    """Threshold between clean foregrounds vs background prompts (should not fire) and backgrounds vs
    their own prompts (should fire): the midpoint of the first's 95th percentile and the second's median."""
    bg_prompts = clip.text_features(BACKGROUND_PROMPTS)
    neg = (clean_object_feats @ bg_prompts.t()).flatten()
    bg_images, names = background_set(20, clip.input_size, seed)
    fb = _encode(clip, bg_images)
    pos = []
    for i, name in enumerate(names):
        own = [j for j, p in enumerate(BACKGROUND_PROMPTS) if p in BACKGROUND_WORDS[name]]
        if own:
            pos.append((fb[i] @ bg_prompts[own].t()).max())
    pos = torch.stack(pos)
    p95, med = float(torch.quantile(neg, 0.95)), float(pos.median())
    threshold = (p95 + med) / 2 if med > p95 else p95
    return {
        "threshold": round(threshold, 4),
        "clean_fg_vs_bg_p95": round(p95, 4),
        "clean_fg_vs_bg_mean": round(float(neg.mean()), 4),
        "bg_vs_own_median": round(med, 4),
        "background_prompts": BACKGROUND_PROMPTS,
        "textures": BACKGROUNDS,
    }


def format_report(rep: dict) -> str:
    lines = [
        f"tiny CLIP zero-shot on {rep['n_images']} held-out single objects (SYNTHETIC):",
        f"  class names : whole image {rep['zero_shot_gt_full']:.3f}, object only {rep['zero_shot_gt_masked']:.3f}",
        f"  best words  : whole image {rep['zero_shot_best_full']:.3f}, object only {rep['zero_shot_best_masked']:.3f}",
        "  cosine of 'a photo of [w].' with object-only images (GT first):",
    ]
    for cls, words in rep["word_cosine_masked"].items():
        lines.append(
            f"    {cls:10s} "
            + "  ".join(f"{w}={s:.2f}" for w, s in words.items())
            + f"   synonym gap {rep.get('synonym_gap', rep['gap_best_minus_gt'])[cls]:+.2f}"
        )
    c = rep["cbs"]
    lines.append(
        f"  L_CBS threshold {c['threshold']:.3f} (clean fg vs bg p95 {c['clean_fg_vs_bg_p95']:.3f},"
        f" bg vs own prompt median {c['bg_vs_own_median']:.3f})"
    )
    return "\n".join(lines)
