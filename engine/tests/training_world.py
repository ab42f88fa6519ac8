"""A tiny VOC-layout world and a tiny random CLIP for the training-side tests (real files, real pipeline).

Images are 32x32 PNGs: a grey background with 1-2 coloured squares, one colour per class.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import torch
from PIL import Image

CLASSES = ["red", "green", "blue"]
COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}
TINY_CLIP_CFG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 0, "width": 32, "heads": 2, "layers": 1},
}
WORDS = [
    "a",
    "photo",
    "of",
    ".",
    "red",
    "crimson",
    "green",
    "lime",
    "blue",
    "navy",
    "tree",
    "river",
    "sea",
    "lake",
    "water",
    "railway",
    "railroad",
    "track",
    "stone",
    "rocks",
    "thing",
]
BANK = {"red": ["red", "crimson"], "green": ["green", "lime"], "blue": ["blue", "navy"]}


# A one-epoch CAM network, its CAMs and POLE's offline selection (METHOD §2.2): a finished run to score or copy.
SELECTION_STAGES = [
    {
        "id": "baseline",
        "type": "baseline_cam",
        "backbone": {"name": "small_cnn", "width": 8, "out_channels": 16},
        "batch_size": 4,
        "epochs": 1,
        "lr": 0.05,
    },
    {"id": "cams", "type": "infer_cams", "model": "baseline", "split": "train", "scales": [1.0], "num_workers": 0},
    {"id": "select", "type": "select_prompts", "cams": "cams", "batch_size": 4},
]


def make_voc_root(root: Path, n: int = 16, size: int = 32, seed: int = 0, masks: bool = False) -> Path:
    """masks=True also writes the ground truth, SegmentationClass/<id>.png (palette; later squares on top)."""
    from wsss_engine.data.mask_files import save_mask

    rng = np.random.default_rng(seed)
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    labels = {}
    for i in range(n):
        img = np.full((size, size, 3), 128, np.uint8) + rng.integers(0, 20, (size, size, 3), dtype=np.uint8)
        gt = np.zeros((size, size), np.uint8)
        present = sorted(rng.choice(len(CLASSES), size=1 + i % 2, replace=False).tolist())
        for k in present:
            s = int(rng.integers(8, 14))
            y, x = rng.integers(0, size - s, 2)
            img[y : y + s, x : x + s] = COLOURS[CLASSES[k]]
            gt[y : y + s, x : x + s] = k + 1
        iid = f"img_{i:03d}"
        Image.fromarray(img).save(root / "JPEGImages" / f"{iid}.png")
        if masks:
            save_mask(root / "SegmentationClass" / f"{iid}.png", gt)
        labels[iid] = [CLASSES[k] for k in present]
    (root / "labels.json").write_text(json.dumps(labels))
    (root / "classes.json").write_text(json.dumps(CLASSES))
    (root / "train.txt").write_text("\n".join(sorted(labels)) + "\n")
    (root / "bank.json").write_text(json.dumps(BANK))
    return root


def add_masks(root: Path) -> Path:
    """SegmentationClass PNGs (the squares' pixels, class k -> k + 1) so that evaluate can score CAMs."""
    (root / "SegmentationClass").mkdir(exist_ok=True)
    for png in (root / "JPEGImages").glob("*.png"):
        img = np.asarray(Image.open(png).convert("RGB"))
        mask = np.zeros(img.shape[:2], np.uint8)
        for k, name in enumerate(CLASSES):
            mask[(img == COLOURS[name]).all(-1)] = k + 1
        Image.fromarray(mask).save(root / "SegmentationClass" / png.name)
    return root


def tiny_clip_checkpoint(path: Path, seed: int = 0) -> Path:
    """A random-weight open_clip CLIP in the synthetic world's checkpoint format (word-level vocab)."""
    from open_clip.model import CLIP

    vocab = ["<pad>", "<sot>", "<unk>"] + WORDS + ["<eot>"]
    cfg = json.loads(json.dumps(TINY_CLIP_CFG))
    cfg["text_cfg"]["vocab_size"] = len(vocab)
    torch.manual_seed(seed)
    model = CLIP(**cfg)
    torch.save(
        {
            "model_cfg": cfg,
            "state_dict": model.state_dict(),
            "mean": [0.5, 0.5, 0.5],
            "std": [0.25, 0.25, 0.25],
            "vocab": vocab,
            "context_length": 16,
            "cbs_threshold": 0.5,
        },
        path,
    )
    return path


def tiny_clip(seed: int = 0):
    """A ClipScorer over a random tiny CLIP with open_clip's BPE tokenizer."""
    from wsss_engine.models.clip_model import ClipScorer

    torch.manual_seed(seed)
    cfg = json.loads(json.dumps(TINY_CLIP_CFG))
    cfg["text_cfg"]["vocab_size"] = 49408
    return ClipScorer.from_model_cfg(cfg, None, [0.5, 0.5, 0.5], [0.25, 0.25, 0.25])


def write_config(path: Path, root: Path, clip_ckpt: Path | None, stages: list[dict], seed: int = 0) -> Path:
    config = {
        "name": "training-test",
        "seed": seed,
        "device": "cpu",
        "synthetic": True,
        "dataset": {
            "root": str(root),
            "classes": CLASSES,
            "train_list": "train",
            "eval_list": "train",
            "image_size": 32,
        },
        "synonym_bank": str(root / "bank.json"),
        "stages": stages,
    }
    if clip_ckpt is not None:
        config["clip"] = {"kind": "tiny", "checkpoint": str(clip_ckpt), "pretrained": None, "precision": "fp32"}
    path.write_text(json.dumps(config, indent=1))
    return path


def run_pipeline(config: Path, run_dir: Path, resume: bool = False, cancel_at: tuple[str, int] | None = None):
    """prepare_run + execute_run; `cancel_at=(stage, n)` cancels once that stage logs step n or progress n."""
    from wsss_engine.pipeline import RunEvents, execute_run, prepare_run

    cancel = threading.Event()

    class Events(RunEvents):
        def metrics(self, stage_id, step, values):
            if cancel_at and stage_id == cancel_at[0] and step >= cancel_at[1]:
                cancel.set()

        def progress(self, stage_id, done, total, message):
            if cancel_at and stage_id == cancel_at[0] and done >= cancel_at[1]:
                cancel.set()

    run, loaded = prepare_run(config, run_dir, resume)
    return execute_run(run, loaded, cancel, Events())


def metrics(run_dir: Path, stage: str) -> list[dict]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [m for m in map(json.loads, lines) if m["stage"] == stage]
