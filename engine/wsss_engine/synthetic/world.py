"""The synthetic world as a VOC-layout dataset on disk, generated deterministically and cached.

Layout (what data/voc.py reads for real VOC):
  JPEGImages/<id>.jpg, SegmentationClass/<id>.png (palette PNG: 0 background, 1..C classes, 255 void band),
  ImageSets/Segmentation/{train_aug,train,val}.txt, labels.json {id: [class names]}, classes.json,
  bank.json (synonym bank, GT name first), backgrounds.json {id: texture}, world.json (params, version, "synthetic": true, statistics).
``train`` is a subset of ``train_aug`` as in VOC: CAMs are evaluated on it (docs/METHOD.md §3.2).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.mask_files import voc_palette
from .scene import CLASSES, DEFAULT_COOCCURRENCE, check_style, sample_scene, style_key_fields, to_uint8, void_band
from .words import BACKGROUND_PROMPTS, bank_json

WORLD_VERSION = 4
_SPLIT_STREAM = {"train_aug": 1, "val": 2}


@dataclass
class WorldParams:
    seed: int = 0
    image_size: int = 64
    n_train_aug: int = 2000
    n_train: int = 400  # the first n_train ids of train_aug: the CAM evaluation list
    n_val: int = 300
    cooccurrence: dict = field(default_factory=lambda: {k: list(v) for k, v in DEFAULT_COOCCURRENCE.items()})
    jpeg_quality: int = 95
    style: str = "classic"  # scene.STYLES: "parts" draws parts.py's objects (docs/SYNTHETIC-WORLD.md §3)

    def __post_init__(self):
        check_style(self.style, "world style")

    def key(self) -> str:
        blob = json.dumps({"version": WORLD_VERSION, **style_key_fields(asdict(self))}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


def default_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Config ``cache_dir``, else $WSSS_CACHE, else ~/.cache/wsss-studio."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    return Path(os.environ.get("WSSS_CACHE") or Path.home() / ".cache" / "wsss-studio")


def image_id(split: str, i: int) -> str:
    return f"syn_{i:06d}" if split == "train_aug" else f"synval_{i:06d}"


def scene_rng(seed: int, split: str, i: int) -> np.random.Generator:
    """One independent stream per image: an image never depends on how many others are generated."""
    return np.random.default_rng([seed, _SPLIT_STREAM[split], i])


def draw_scene(params: WorldParams, split: str, i: int):
    """The i-th scene of ``split`` ("train_aug" or "val") of the world ``params`` describes: what write_world
    writes, and what a tool that needs more than the files (instances, badges) draws again."""
    return sample_scene(scene_rng(params.seed, split, i), params.image_size, params.cooccurrence, style=params.style)


def _write_image(root: Path, iid: str, scene, palette, quality: int) -> list[str]:
    Image.fromarray(to_uint8(scene.image)).save(root / "JPEGImages" / f"{iid}.jpg", quality=quality)
    mask = void_band(scene.label)
    png = Image.fromarray(mask, mode="P")
    png.putpalette(palette)
    png.save(root / "SegmentationClass" / f"{iid}.png", optimize=False)
    present = sorted(set(np.unique(mask).tolist()) - {0, 255})
    return [CLASSES[k - 1] for k in present]


def write_world(params: WorldParams, root: Path, progress=None) -> dict:
    """Generate every image of the world into ``root`` (which must be empty or absent)."""
    for sub in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    palette = voc_palette()
    labels: dict[str, list[str]] = {}
    backgrounds: dict[str, str] = {}
    lists: dict[str, list[str]] = {"train_aug": [], "val": []}
    pairs: Counter = Counter()
    counts: Counter = Counter()
    total = params.n_train_aug + params.n_val
    done = 0
    for split, n in (("train_aug", params.n_train_aug), ("val", params.n_val)):
        for i in range(n):
            iid = image_id(split, i)
            scene = draw_scene(params, split, i)
            names = _write_image(root, iid, scene, palette, params.jpeg_quality)
            labels[iid] = names
            backgrounds[iid] = scene.background
            lists[split].append(iid)
            counts.update(names)
            pairs.update((n_, scene.background) for n_ in names)
            done += 1
            if progress and (done % 200 == 0 or done == total):
                progress(done, total)
    lists["train"] = lists["train_aug"][: params.n_train]
    for name, ids in lists.items():
        (root / "ImageSets/Segmentation" / f"{name}.txt").write_text("\n".join(ids) + "\n")
    (root / "labels.json").write_text(json.dumps(labels, indent=0))
    (root / "classes.json").write_text(json.dumps(CLASSES))
    (root / "backgrounds.json").write_text(json.dumps(backgrounds, indent=0))
    (root / "bank.json").write_text(json.dumps(bank_json(), indent=1))
    stats = {
        "class_counts": dict(counts),
        "background_given_class": {
            c: {bg: round(v / counts[c], 4) for (c2, bg), v in pairs.items() if c2 == c} for c in CLASSES if counts[c]
        },
    }
    meta = {
        "synthetic": True,
        "version": WORLD_VERSION,
        "key": params.key(),
        "params": asdict(params),
        "classes": CLASSES,
        "background_prompts": BACKGROUND_PROMPTS,
        "splits": {k: len(v) for k, v in lists.items()},
        "stats": stats,
    }
    (root / "world.json").write_text(json.dumps(meta, indent=1))  # written last: marks the world complete
    return meta


def ensure_world(params: WorldParams | None = None, cache_dir=None, progress=None, log=print) -> Path:
    """Return the cached world for ``params``, generating it first when absent or from another version."""
    params = params or WorldParams()
    root = default_cache_dir(cache_dir) / "synthetic" / f"world-{params.key()}"
    meta_path = root / "world.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == params.key() and meta.get("version") == WORLD_VERSION:
            return root
    tmp = root.with_name(root.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    if log:
        log(f"generating synthetic world {root.name} ({params.n_train_aug}+{params.n_val} images)")
    write_world(params, tmp, progress)
    shutil.rmtree(root, ignore_errors=True)
    tmp.rename(root)
    return root


def load_world_meta(root: str | os.PathLike) -> dict:
    return json.loads((Path(root) / "world.json").read_text())
