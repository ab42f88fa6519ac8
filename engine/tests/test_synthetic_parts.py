"""The "parts" style of the synthetic world (synthetic/parts.py, docs/SYNTHETIC-WORLD.md §3): a small class badge
on a large plain body shared by every class, so that a CAM can only be partial; the classic world keeps its key."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from wsss_engine.errors import ConfigInvalid
from wsss_engine.experiments.synthetic_base import _dataclass
from wsss_engine.synthetic.parts import BODY_COLOURS, render_parts
from wsss_engine.synthetic.scene import CLASSES, sample_scene
from wsss_engine.synthetic.world import WorldParams, write_world


def test_only_the_badge_tells_the_class():
    """The same random draws give the same body for every class; what differs between two classes is the badge,
    a minority of the object, and every other object pixel has a shared body colour."""
    for i in range(20):
        renders = {
            name: render_parts(np.random.default_rng([7, i]), 128, 128, 64.0, 64.0, 64.0, False, name)
            for name in CLASSES
        }
        masks = [m for m, *_ in renders.values()]
        assert all((m == masks[0]).all() for m in masks)  # one outline, whatever the class
        body = masks[0]
        assert body.sum() > 0.1 * 128 * 128  # s = 64: about π·32·24 pixels
        for a, b in zip(CLASSES, CLASSES[1:]):
            differ = (np.abs(renders[a][1] - renders[b][1]).max(-1) > 1e-6) & body
            assert 0 < differ.sum() < 0.3 * body.sum(), (i, a, b, differ.sum() / body.sum())
        _, rgb, *_ = renders["sheep"]
        median = np.median(rgb[body], axis=0)
        assert min(np.abs(median / np.asarray(c) - 1).max() for c in BODY_COLOURS) < 0.12


def test_a_parts_world_on_disk_labels_whole_objects(tmp_path):
    params = WorldParams(n_train_aug=12, n_train=4, n_val=4, image_size=96, style="parts", cooccurrence={})
    write_world(params, tmp_path)
    meta = json.loads((tmp_path / "world.json").read_text())
    assert meta["params"]["style"] == "parts" and meta["params"]["image_size"] == 96
    labels = json.loads((tmp_path / "labels.json").read_text())
    sizes = []
    for iid, names in labels.items():
        mask = np.asarray(Image.open(tmp_path / "SegmentationClass" / f"{iid}.png"))
        assert names == [CLASSES[k - 1] for k in sorted(set(np.unique(mask).tolist()) - {0, 255})]
        sizes += [(mask == CLASSES.index(n) + 1).mean() for n in names]
    assert np.median(sizes) > 0.08  # large objects: boundary cells of the stride-4 grid are a small share


def test_scenes_of_the_two_styles_differ_and_an_unknown_style_is_refused():
    a = sample_scene(np.random.default_rng(3), 64, None, names=["boat"])
    b = sample_scene(np.random.default_rng(3), 64, None, names=["boat"], style="parts")
    assert a.background == b.background and not np.array_equal(a.label, b.label)
    with pytest.raises(ValueError, match="style"):
        sample_scene(np.random.default_rng(3), 64, style="cartoon")
    from wsss_engine.synthetic.clip_data import ScenePool

    pools = [ScenePool(4, 48, 0, style=style) for style in ("classic", "parts")]  # the tiny CLIP's training scenes
    assert pools[0].present != pools[1].present or not torch.equal(pools[0].images, pools[1].images)
    with pytest.raises(ConfigInvalid, match="base.synthetic.world: world style 'cartoon'"):
        _dataclass(WorldParams, {"style": "cartoon"}, "world")


def test_the_classic_worlds_keep_their_cache_keys(monkeypatch):
    """Keys from before the style field existed: the demo's cached world and tiny CLIP are not made again (update
    the pinned keys with WORLD_VERSION, TINY_CLIP_VERSION or the caption design, which change them on purpose)."""
    from wsss_engine.synthetic.tiny_clip import TinyClipParams

    assert WorldParams().key() == "786db723b8ef" and WorldParams(image_size=128).key() == "6d4ec526db06"
    assert WorldParams(style="parts").key() != WorldParams().key()
    assert TinyClipParams().key() == "f4267610a8aa" != TinyClipParams(style="parts").key()
    from wsss_engine.synthetic import scene

    parts_key = WorldParams(style="parts").key()
    # a changed drawing: the parts worlds get new keys, the classic ones not
    monkeypatch.setattr(scene, "PARTS_VERSION", scene.PARTS_VERSION + 1)
    assert WorldParams(style="parts").key() != parts_key and WorldParams().key() == "786db723b8ef"
    with pytest.raises(ConfigInvalid, match="tiny_clip: tiny CLIP style 'cartoon'"):
        _dataclass(TinyClipParams, {"style": "cartoon"}, "tiny_clip")


def test_every_object_shows_its_badge_and_bodies_of_one_image_differ_in_colour(monkeypatch):
    """PARTS_VERSION 2 (docs/SYNTHETIC-WORLD.md §3): a later object hides at most a tenth of an earlier badge, and
    the bodies of one image take different colours, so every object can be told and outlined."""
    from wsss_engine.synthetic import parts, scene

    calls = []

    def recording(*args, **kwargs):
        out = parts.render_parts(*args, **kwargs)
        calls.append((kwargs["name"], *out))
        return out

    monkeypatch.setattr(scene, "render_parts", recording)
    checked = 0
    for i in range(40):
        calls.clear()
        s = sample_scene(np.random.default_rng([11, i]), 96, {}, style="parts")
        colours = []
        for k, visible in s.instances:
            # the accepted draw is the last one of its class whose body holds the visible part
            name, body, _, disc, colour = [c for c in calls if c[0] == CLASSES[k] and (c[1] >= visible).all()][-1]
            assert (disc & visible).sum() >= (1 - parts.BADGE_HIDDEN_MAX) * disc.sum() - 1e-9, (i, name)
            colours.append(colour)
            checked += 1
        assert len(set(colours)) == len(colours), (i, colours)
    assert checked > 40


def test_parts_scenes_hold_as_many_classes_as_voc_images():
    """PARTS_VERSION 3 (docs/SYNTHETIC-WORLD.md §3): a parts scene draws 1, 2 or 3 classes with VOC 2012 train_aug's
    shares (59 / 29 / 12%), so images where objects of different classes meet, IRN's weakest edges, are about as
    common as in VOC; placement drops some objects, so the visible counts lean to one class. The classic style keeps
    its own shares (its cache key is pinned above)."""
    from wsss_engine.synthetic import scene
    from wsss_engine.synthetic.parts import CLASS_COUNT_WEIGHTS

    assert CLASS_COUNT_WEIGHTS == (0.591, 0.293, 0.117) != scene.CLASSIC_CLASS_COUNTS
    counts = np.zeros(4, int)
    for i in range(300):
        counts[len(sample_scene(np.random.default_rng([13, i]), 96, {}, style="parts").classes)] += 1
    share = counts / counts.sum()
    # measured here: 0.61 / 0.35 / 0.05 (VOC train_aug 0.59 / 0.29 / 0.12, val 0.64 / 0.26 / 0.10);
    # with the classic shares: 0.48 / 0.44 / 0.08, which fails
    assert counts[0] == 0 and 0.55 <= share[1] <= 0.72 and share[3] <= 0.12, share


def test_parts_edges_splits_the_cells_by_what_the_world_drew(tmp_path):
    """engine/benchmarks/parts_edges.py (docs/SYNTHETIC-WORLD.md §3) draws a parts world's scenes again and splits
    its cells by kind: fed the labels' own edges, it finds edges on every class-class and class-background cell
    and none where a badge disc meets its body or two objects of one class meet; a world drawn otherwise stops it."""
    from benchmark_tools import load_tool
    from wsss_engine.data.labels import read_mask

    tool, bound = load_tool("parts_edges"), load_tool("refinement_bound")
    params = WorldParams(style="parts", image_size=96, n_train_aug=60, n_train=60, n_val=1, cooccurrence={})
    write_world(params, tmp_path)
    ids = (tmp_path / "ImageSets/Segmentation/train.txt").read_text().split()

    def label_edges(image_id):
        return bound.oracle_edges(read_mask(tmp_path / "SegmentationClass" / f"{image_id}.png"), 4).numpy()

    out = tool.measure(tmp_path, ids, label_edges)
    assert all(out[k]["cells"] > 0 for k in tool.KINDS), out
    assert out["class-class"]["mean"] == out["class-background"]["mean"] == 1.0
    assert out["badge disc"]["mean"] == out["two objects of one class"]["mean"] == 0.0
    assert out["inside objects, elsewhere"]["mean"] == 0.0
    mask = read_mask(tmp_path / "SegmentationClass" / f"{ids[3]}.png")
    mask[:8, :8] = 1  # not what the world draws
    Image.fromarray(mask).save(tmp_path / "SegmentationClass" / f"{ids[3]}.png")
    with pytest.raises(SystemExit, match="written by another version"):
        tool.measure(tmp_path, ids, label_edges)


def test_parts_cams_splits_each_object_into_badge_and_body(tmp_path):
    """engine/benchmarks/parts_cams.py (docs/SYNTHETIC-WORLD.md §3) gives the share of each object's badge disc and
    of the rest of its body that CAMs label with its class: CAM files that cover the discs alone score 1 on the
    discs and 0 on the bodies (all of it background); CAM files of the whole objects score 1 and 1."""
    from benchmark_tools import load_tool
    from wsss_engine.data.cam_files import save_cam

    tool, edges = load_tool("parts_cams"), load_tool("parts_edges")
    params = WorldParams(style="parts", image_size=96, n_train_aug=30, n_train=30, n_val=1, cooccurrence={})
    write_world(params, tmp_path)
    ids = (tmp_path / "ImageSets/Segmentation/train.txt").read_text().split()
    for iid, scene, _ in edges.checked_scenes(tmp_path, ids):
        keys = np.array(scene.classes)
        for name, parts in (("discs", scene.discs), ("objects", [m for _, m in scene.instances])):
            maps = np.zeros((len(keys), *scene.label.shape), np.float32)
            for (k, _), m in zip(scene.instances, parts):
                maps[scene.classes.index(k)][m] = 1.0
            save_cam(tmp_path / name / f"{iid}.npy", keys, maps[:, ::4, ::4], maps)
    discs = tool.measure(tmp_path, ids, tool.cam_labels(tmp_path / "discs", 0.15))
    objects = tool.measure(tmp_path, ids, tool.cam_labels(tmp_path / "objects", 0.15))
    assert discs["pixels"]["body"] > 3 * discs["pixels"]["badge disc"] > 0, discs
    assert (discs["badge disc"], discs["body"], discs["body as background"]) == (1.0, 0.0, 1.0), discs
    assert (objects["badge disc"], objects["body"], objects["body as background"]) == (1.0, 1.0, 0.0), objects
    with pytest.raises(SystemExit, match="not the image's size"):
        tool.measure(tmp_path, ids, lambda iid: np.zeros((8, 8), np.int64))
