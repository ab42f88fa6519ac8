"""The synthetic world on disk: deterministic bytes, masks that agree with labels, VOC layout, caching."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from wsss_engine.synthetic.scene import CLASSES, sample_scene, void_band
from wsss_engine.synthetic.world import WorldParams, ensure_world, write_world

SMALL = WorldParams(n_train_aug=40, n_train=12, n_val=8)
REPO = Path(__file__).resolve().parents[2]


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("world")
    write_world(SMALL, root)
    return root


def test_same_seed_gives_identical_bytes_and_another_seed_does_not(world, tmp_path):
    write_world(SMALL, tmp_path / "again")
    assert files(world) == files(tmp_path / "again")
    write_world(WorldParams(seed=1, n_train_aug=40, n_train=12, n_val=8), tmp_path / "other")
    other = files(tmp_path / "other")
    jpgs = [k for k in other if k.startswith("JPEGImages")]
    assert len(jpgs) == 48 and all(other[k] != files(world)[k] for k in jpgs[:5])


def test_voc_layout_and_metadata(world):
    lists = {
        n: (world / "ImageSets/Segmentation" / f"{n}.txt").read_text().split() for n in ("train_aug", "train", "val")
    }
    assert len(lists["train_aug"]) == 40 and lists["train"] == lists["train_aug"][:12] and len(lists["val"]) == 8
    assert not set(lists["val"]) & set(lists["train_aug"])
    for iid in lists["train_aug"] + lists["val"]:
        assert (world / "JPEGImages" / f"{iid}.jpg").is_file() and (
            world / "SegmentationClass" / f"{iid}.png"
        ).is_file()
    meta = json.loads((world / "world.json").read_text())
    assert meta["synthetic"] is True and meta["version"] >= 1 and meta["params"]["seed"] == 0
    assert json.loads((world / "classes.json").read_text()) == CLASSES and len(CLASSES) >= 6
    bank = json.loads((world / "bank.json").read_text())
    schema = json.loads((REPO / "schemas" / "synonym-bank.schema.json").read_text())
    jsonschema.validate(bank, schema)
    assert [words[0] for words in bank.values()] == CLASSES and all(len(w) == 4 for w in bank.values())


def test_labels_are_exactly_the_classes_in_each_mask(world):
    labels = json.loads((world / "labels.json").read_text())
    assert len(labels) == 48
    multi = 0
    for iid, names in labels.items():
        png = Image.open(world / "SegmentationClass" / f"{iid}.png")
        assert png.mode == "P" and png.size == (64, 64)
        mask = np.asarray(png)
        values = set(np.unique(mask).tolist())
        assert values <= set(range(len(CLASSES) + 1)) | {255}
        assert names == [CLASSES[k - 1] for k in sorted(values - {0, 255})], iid
        assert names and 255 in values  # every image has an object with its void band
        multi += len(names) > 1
    assert multi >= 10  # multi-label images are common


def test_void_band_surrounds_objects_on_the_background_side():
    scene = sample_scene(np.random.default_rng(5), 64)
    banded = void_band(scene.label)
    assert ((banded > 0) & (banded < 255) == (scene.label > 0)).all()  # object pixels are kept
    ring = banded == 255
    assert ring.any() and (scene.label[ring] == 0).all()
    ys, xs = np.nonzero(ring)
    near = [scene.label[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].max() > 0 for y, x in zip(ys, xs)]
    assert all(near)


def test_boats_and_trains_almost_always_sit_on_their_texture():
    counts = {"boat": [0, 0], "train": [0, 0]}
    for i in range(400):
        scene = sample_scene(np.random.default_rng([0, 1, i]), 32)
        for cls, texture in (("boat", "water"), ("train", "rails")):
            if CLASSES.index(cls) in scene.classes:
                counts[cls][0] += scene.background == texture
                counts[cls][1] += 1
    for cls, (on, total) in counts.items():
        assert total > 40 and on / total >= 0.95, (cls, on, total)


def test_ensure_world_caches_by_params(tmp_path):
    params = WorldParams(n_train_aug=6, n_train=2, n_val=2)
    root = ensure_world(params, tmp_path, log=None)
    stamp = (root / "world.json").stat().st_mtime_ns
    assert ensure_world(params, tmp_path, log=None) == root
    assert (root / "world.json").stat().st_mtime_ns == stamp  # reused, not regenerated
    other = ensure_world(WorldParams(n_train_aug=7, n_train=2, n_val=2), tmp_path, log=None)
    assert other != root and len((other / "ImageSets/Segmentation/train_aug.txt").read_text().split()) == 7
