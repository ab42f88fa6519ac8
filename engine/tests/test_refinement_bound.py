"""The oracle-edge refinement bound (engine/benchmarks/refinement_bound.py, docs/SYNTHETIC-WORLD.md §2): on one
object whose CAM covers only a small part, the walk over ground-truth edges recovers the whole object (what IRN's
walk is for, METHOD §4.3), and the grid's limits are measured as defined."""

from __future__ import annotations

import json

import numpy as np

from wsss_engine.data.cam_files import save_cam
from benchmark_tools import load_tool
from wsss_engine.data.mask_files import save_mask
from wsss_engine.synthetic.scene import void_band


def _tool():
    return load_tool("refinement_bound")


def _square(lo: int, hi: int, size: int = 64) -> np.ndarray:
    label = np.zeros((size, size), np.uint8)
    label[lo:hi, lo:hi] = 1
    return void_band(label)


def test_oracle_walk_recovers_an_object_its_cam_covers_only_in_part(tmp_path):
    tool = _tool()
    (tmp_path / "classes.json").write_text(json.dumps(["boat"]))
    gt = _square(20, 44)
    save_mask(tmp_path / "SegmentationClass" / "a.png", gt)
    cam = np.zeros((1, 64, 64), np.float32)
    cam[0, 26:34, 26:34] = 1.0  # the "discriminative part": a ninth of the object
    stride4 = cam[:, ::4, ::4]
    save_cam(tmp_path / "cams" / "a.npy", np.array([0]), stride4, cam)
    result = tool.measure(tmp_path / "cams", tmp_path, ["a"], 4, [0.2], [0.15])
    cam_iou = result["cam"]["0.15"]["per_class"]["boat"]
    walk_iou = result["walk"]["oracle"]["0.2"]["per_class"]["boat"]
    assert cam_iou < 0.2 and walk_iou > 0.9, (cam_iou, walk_iou)
    assert result["walk"]["none"]["0.2"]["per_class"]["boat"] < 0.5  # without edges the walk floods the image
    assert result["fg_pixels_in_edge_cells"] == 0.0  # the object's sides lie on cell borders
    assert result["majority_cell_bound"]["miou"] == 1.0


def test_a_boundary_inside_cells_is_counted_and_limits_the_grid():
    tool = _tool()
    gt = _square(22, 46)
    _, share = tool.grid_limits(gt, 4, 2)
    # the 24-px object's outer 2-px frame lies in cells that also hold the void band: 1 - 20²/24²
    assert abs(share - (1 - 20**2 / 24**2)) < 1e-9
    edges = tool.oracle_edges(gt, 4).numpy()
    assert edges.shape == (16, 16) and edges[8, 8] == 0 and edges[5, 8] == 1


def test_cell_kinds_tell_class_class_from_class_background_and_the_irn_walks_use_them(tmp_path):
    tool = _tool()
    gt = np.zeros((32, 32), np.uint8)
    gt[8:24, 6:16] = 1
    gt[8:24, 16:26] = 2
    gt[8:24, 16:18] = 1  # the two objects touch at x = 18, inside cell column 4 (x 16..19)
    kinds = tool.cell_kinds(gt, 4)
    cls_cls, cls_bg = kinds["class-class"], kinds["class-background"]
    assert cls_cls.shape == (8, 8)
    assert cls_cls[2:6, 4].all() and cls_cls.sum() == 4, "the class border runs through cell column 4, rows 2-5"
    assert not (cls_cls & cls_bg).any()
    assert cls_bg[2:6, 1].all() and cls_bg[2:6, 6].all(), "the left and right sides, x 6 and x 26, inside cells"
    assert not cls_bg[3, 3] and kinds["inside objects"][3, 3], "a cell inside object 1"
    assert sum(m.astype(int) for m in kinds.values()).max() == 1, "every cell has one kind"
    # void is the band between an object and the background: a cell of one object and void is a boundary cell
    banded = gt.copy()
    banded[8:24, 5] = 1  # object 1 now fills x 5..7 of cell column 1, and its void band x 4
    banded = void_band(banded)
    inside = tool.cell_kinds(banded, 4)["inside objects"]
    assert tool.cell_kinds(banded, 4)["class-background"][2:6, 1].all() and not inside[2:6, 1].any()
    assert not tool.oracle_edges(banded, 4).numpy()[inside].any(), "no labelled edge inside an object"

    (tmp_path / "classes.json").write_text(json.dumps(["boat", "sofa"]))
    save_mask(tmp_path / "SegmentationClass" / "a.png", gt)
    cam = np.zeros((2, 32, 32), np.float32)
    cam[0, 10:14, 8:12], cam[1, 10:14, 20:24] = 1.0, 0.6
    save_cam(tmp_path / "cams" / "a.npy", np.array([0, 1]), cam[:, ::4, ::4], cam)
    oracle = tool.oracle_edges(gt, 4)
    result = tool.measure(tmp_path / "cams", tmp_path, ["a"], 4, [0.2], [0.15], irn=lambda _: oracle)
    walks = result["walk"]
    assert set(walks) == {"oracle", "none", "irn", "irn+cls-cls", "irn+cls-bg"}
    # IRN edges that are already the oracle's stay the oracle's when either kind of boundary is made oracle
    assert walks["irn"] == walks["irn+cls-cls"] == walks["irn+cls-bg"] == walks["oracle"]
    means = result["irn_edge_mean"]
    assert means["class-class"] == {"cells": 4, "mean": 1.0} and means["class-background"]["mean"] == 1.0
    assert means["inside objects"]["mean"] == 0.0 and means["inside background"]["mean"] == 0.0
    assert sum(m["cells"] for m in means.values()) == 64
